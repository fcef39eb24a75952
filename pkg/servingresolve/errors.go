package servingresolve

import "k8s.io/apimachinery/pkg/util/validation/field"

// Reasons of an Error, as they appear in an InferenceService's status.modelStatus.lastFailureInfo.reason.
const (
	// ReasonModelNotFound: modelRef names a Model that does not exist in the service's namespace.
	ReasonModelNotFound = "ModelNotFound"
	// ReasonVersionNotFound: modelRef.version names no version of the Model.
	ReasonVersionNotFound = "VersionNotFound"
	// ReasonNoVersionInStage: no version of the Model is in the stage modelRef follows.
	ReasonNoVersionInStage = "NoVersionInStage"
	// ReasonFormatMismatch: modelFormat differs from the Model's format.
	ReasonFormatMismatch = "FormatMismatch"
	// ReasonRuntimeNotFound: the runtime named is neither in the service's namespace nor built in.
	ReasonRuntimeNotFound = "RuntimeNotFound"
	// ReasonNoRuntimeForFormat: no runtime was named and none auto-selects the model's format.
	ReasonNoRuntimeForFormat = "NoRuntimeForFormat"
	// ReasonRuntimeFormatMismatch: the runtime does not serve the model's format.
	ReasonRuntimeFormatMismatch = "RuntimeFormatMismatch"
	// ReasonGPUNotSupported: the service asks for nvidia.com/gpu on a runtime without GPU support.
	ReasonGPUNotSupported = "GPUNotSupported"
)

// Error is a spec that cannot be served: a CamelCase reason, the field at fault and a message that says what to fix.
type Error struct {
	// Reason is one of the Reason constants.
	Reason string
	// Field is the path of the spec field at fault, such as spec.predictor.model.modelRef.version.
	Field *field.Path
	// Value is the offending value, for the admission error.
	Value any
	// Message says what is wrong and what to fix.
	Message string
}

// Error returns the field and the message.
func (e *Error) Error() string { return e.Field.String() + ": " + e.Message }

// FieldError is the error as admission reports it: an invalid value of the field at fault, or a not-found one.
func (e *Error) FieldError() *field.Error {
	switch e.Reason {
	case ReasonModelNotFound, ReasonRuntimeNotFound:
		err := field.NotFound(e.Field, e.Value)
		err.Detail = e.Message
		return err
	default:
		return field.Invalid(e.Field, e.Value, e.Message)
	}
}

var (
	modelPath     = field.NewPath("spec", "predictor", "model")
	modelRefPath  = modelPath.Child("modelRef")
	runtimePath   = modelPath.Child("runtime")
	formatPath    = modelPath.Child("modelFormat", "name")
	resourcesPath = modelPath.Child("resources")
)
