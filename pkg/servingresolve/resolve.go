package servingresolve

import (
	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
)

// Resolution is what a service's spec resolves to: the model version and the runtime that serves it.
type Resolution struct {
	// Model is the model version served.
	Model *servingv1alpha1.ResolvedModel
	// Runtime is the runtime serving it.
	Runtime *servingv1alpha1.ServingRuntime
}

// Resolve resolves a predictor's model against model (the Model its modelRef names, nil when there is none or no
// modelRef) and its runtime against catalog.
func Resolve(predictor *servingv1alpha1.PredictorModel, model *servingv1alpha1.Model, catalog Catalog) (*Resolution, *Error) {
	resolved, version, err := resolveModel(predictor, model)
	if err != nil {
		return nil, err
	}
	hint := ""
	if version != nil {
		hint = version.Runtime
	}
	runtime, err := ResolveRuntime(predictor, resolved, hint, catalog)
	if err != nil {
		return nil, err
	}
	return &Resolution{Model: resolved, Runtime: runtime}, nil
}

// Label is how a resolved model is shown in one word, "name:version", or the storage URI of a service given by one.
func Label(m *servingv1alpha1.ResolvedModel) string {
	if m == nil {
		return ""
	}
	if m.Name == "" {
		return m.StorageURI
	}
	return m.Name + ":" + m.Version
}
