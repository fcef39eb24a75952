// Package servinghistory records the history of every InferenceService: each change of its predictor, and each
// Model promotion that moves the version a stage-following service resolves to, becomes an immutable
// InferenceServiceRevision named "<service>-<n>" in the service's workspace and namespace, with the whole
// predictor, the resolved model, the author and cause admission recorded (pkg/admission.ServingChanges) and the
// time. The service then gets the annotation serving.gantry.dev/revision: n, and the oldest revisions beyond
// spec.revisionHistoryLimit are deleted.
//
// It runs on the elected replica and sees every workspace that binds the serving export through the export's
// virtual workspace (sdk.Client.APIExport with sdk.Wildcard), as any provider's controller does; it writes through
// privileged clients of the one workspace a service is in. It does not undo or promote (pkg/cli/serving writes the
// spec; this package records what was written) and does not deploy (the serving operator does).
package servinghistory
