// Package serving owns the `kubectl gantry` commands of the serving provider (serving.gantry.dev):
//
//   - the launchpad: `launch MODEL[:VERSION]` creates an InferenceService for a Model's version and follows it to
//     Healthy, `models` lists the Models with their versions and stages, and `health isvc/NAME` prints a service's
//     health tree (per cluster, component, pod and container);
//   - the history commands: `rollout history|undo|status isvc/NAME` read and restore the InferenceServiceRevisions
//     Gantry records (pkg/servinghistory) and follow a service's health, and `promote model/NAME` and
//     `promote isvc/NAME` move a model version to a stage or copy a service's spec to another workspace. Every
//     write names its cause in serving.gantry.dev/change-cause, which admission keeps with the change and the
//     history records.
//
// `launch` and `rollout status` share one wait (WaitHealthy). The package does not record revisions
// (pkg/servinghistory) nor compute health (the serving operator, pkg/servingoperator).
package serving
