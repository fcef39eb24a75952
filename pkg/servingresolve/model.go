package servingresolve

import (
	"fmt"
	"strings"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
)

// ResolveModel returns the model the predictor serves. For storageUri that is the URI and modelFormat as given. For
// modelRef, model is the Model it names, looked up in the service's namespace (nil when there is none): the version
// named, or the version in the stage followed. With modelRef, a modelFormat that is set must equal the Model's format.
func ResolveModel(predictor *servingv1alpha1.PredictorModel, model *servingv1alpha1.Model) (*servingv1alpha1.ResolvedModel, *Error) {
	resolved, _, err := resolveModel(predictor, model)
	return resolved, err
}

// resolveModel is ResolveModel that also returns the Model's version picked, nil for a service given by storageUri.
func resolveModel(predictor *servingv1alpha1.PredictorModel, model *servingv1alpha1.Model) (*servingv1alpha1.ResolvedModel, *servingv1alpha1.ModelVersion, *Error) {
	if predictor.ModelRef == nil {
		resolved := &servingv1alpha1.ResolvedModel{}
		if predictor.StorageURI != nil {
			resolved.StorageURI = *predictor.StorageURI
		}
		if predictor.ModelFormat != nil {
			resolved.Format = predictor.ModelFormat.Name
		}
		return resolved, nil, nil
	}
	ref := predictor.ModelRef
	if model == nil {
		return nil, nil, &Error{Reason: ReasonModelNotFound, Field: modelRefPath.Child("name"), Value: ref.Name,
			Message: fmt.Sprintf("no Model %q in this namespace: register it first, or fix modelRef.name", ref.Name)}
	}
	version, err := PickVersion(model, ref)
	if err != nil {
		return nil, nil, err
	}
	if f := predictor.ModelFormat; f != nil && f.Name != model.Spec.Format {
		return nil, nil, &Error{Reason: ReasonFormatMismatch, Field: formatPath, Value: f.Name,
			Message: fmt.Sprintf("Model %q is in format %q: remove modelFormat or set it to %q", model.Name,
				model.Spec.Format, model.Spec.Format)}
	}
	return &servingv1alpha1.ResolvedModel{Name: model.Name, Version: version.Name, StorageURI: version.StorageURI,
		Format: model.Spec.Format}, version, nil
}

// PickVersion returns the version of model that ref means: the version it names, or the version in the stage it
// follows (the last one listed, if several are in Staging).
func PickVersion(model *servingv1alpha1.Model, ref *servingv1alpha1.ModelReference) (*servingv1alpha1.ModelVersion, *Error) {
	if ref.Version != "" {
		for i := range model.Spec.Versions {
			if model.Spec.Versions[i].Name == ref.Version {
				return &model.Spec.Versions[i], nil
			}
		}
		return nil, &Error{Reason: ReasonVersionNotFound, Field: modelRefPath.Child("version"), Value: ref.Version,
			Message: fmt.Sprintf("Model %q has no version %q; it has %s", model.Name, ref.Version,
				versionNames(model))}
	}
	stage := servingv1alpha1.ModelStage(ref.Stage)
	for i := len(model.Spec.Versions) - 1; i >= 0; i-- {
		if model.Spec.Versions[i].Stage == stage {
			return &model.Spec.Versions[i], nil
		}
	}
	return nil, &Error{Reason: ReasonNoVersionInStage, Field: modelRefPath.Child("stage"), Value: ref.Stage,
		Message: fmt.Sprintf("no version of Model %q is in stage %s: promote one (kubectl gantry promote model/%s "+
			"--version V --stage %s), or follow a version instead", model.Name, stage, model.Name, stage)}
}

// versionNames lists a Model's versions for a message.
func versionNames(model *servingv1alpha1.Model) string {
	if len(model.Spec.Versions) == 0 {
		return "no versions"
	}
	names := make([]string, len(model.Spec.Versions))
	for i, v := range model.Spec.Versions {
		names[i] = fmt.Sprintf("%q", v.Name)
	}
	return strings.Join(names, ", ")
}
