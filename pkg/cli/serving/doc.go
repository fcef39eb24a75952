// Package serving owns the serving history commands of `kubectl gantry`: `rollout history|undo|status isvc/NAME`
// read and restore the InferenceServiceRevisions Gantry records (pkg/servinghistory) and follow a service's health,
// and `promote model/NAME` and `promote isvc/NAME` move a model version to a stage or copy a service's spec to
// another workspace. Every write names its cause in serving.gantry.dev/change-cause, which admission keeps with the
// change and the history records.
//
// It does not record revisions (pkg/servinghistory) nor compute health (the serving operator).
package serving
