// Package servingoperator is the serving operator, gantry-serving: a controller-runtime manager that runs in each
// compute cluster next to gantry-syncer. For every InferenceService the syncer copied down it resolves the model
// and the runtime (pkg/servingresolve, the same rules admission uses), server-side applies a ConfigMap, a
// Deployment and a Service owned by the service, judges their health with pkg/health and writes the service's
// status, which the syncer copies back up.
//
// controller.go wires the manager, the watches and the work queue; the other files are one reconcile step each:
// resolve.go (model and runtime), deployment.go and service.go (the desired objects), apply.go (apply what
// changed), status.go (compute the status) and writestatus.go (write it).
package servingoperator
