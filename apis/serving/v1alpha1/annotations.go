package v1alpha1

// The annotations and labels of the serving history. Admission writes the first two on every spec change of an
// InferenceService or a Model, the history controller writes the revision and labels the revisions.
const (
	// ChangedByAnnotation names the user who last changed the object's spec. Admission sets it on every spec change
	// and keeps it otherwise, whatever the client sent, so that it cannot be forged.
	ChangedByAnnotation = "serving.gantry.dev/changed-by"
	// ChangeCauseAnnotation says why the spec last changed ("rollback to revision 2", "promoted from root:staging").
	// Admission keeps it only when the client sent a new value with the spec change it describes.
	ChangeCauseAnnotation = "serving.gantry.dev/change-cause"
	// RevisionAnnotation is the number of the InferenceServiceRevision recording an InferenceService's current spec;
	// the serving operator copies it into status.revision.
	RevisionAnnotation = "serving.gantry.dev/revision"
	// ServiceLabel names, on an InferenceServiceRevision, the InferenceService it records.
	ServiceLabel = "serving.gantry.dev/service"
)
