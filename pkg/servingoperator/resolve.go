package servingoperator

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/servingresolve"
)

// resolve finds the model version and runtime an InferenceService means, with the same rules as admission: the
// Model its modelRef names and the ServingRuntimes of its namespace, read from the cluster, and the built-in
// runtimes. A spec that cannot be served gives a *servingresolve.Error; a failure to read gives an error.
func (r *Reconciler) resolve(ctx context.Context, isvc *servingv1alpha1.InferenceService) (*servingresolve.Resolution, *servingresolve.Error, error) {
	predictor := &isvc.Spec.Predictor.Model
	var model *servingv1alpha1.Model
	if ref := predictor.ModelRef; ref != nil {
		model = &servingv1alpha1.Model{}
		err := r.client.Get(ctx, client.ObjectKey{Namespace: isvc.Namespace, Name: ref.Name}, model)
		if apierrors.IsNotFound(err) {
			model = nil
		} else if err != nil {
			return nil, nil, fmt.Errorf("get Model %s/%s: %w", isvc.Namespace, ref.Name, err)
		}
	}
	var local servingv1alpha1.ServingRuntimeList
	if err := r.client.List(ctx, &local, client.InNamespace(isvc.Namespace)); err != nil {
		return nil, nil, fmt.Errorf("list ServingRuntimes in %s: %w", isvc.Namespace, err)
	}
	catalog := servingresolve.Catalog{Builtin: r.builtinRuntimes}
	for i := range local.Items {
		catalog.Local = append(catalog.Local, &local.Items[i])
	}
	resolution, invalid := servingresolve.Resolve(predictor, model, catalog)
	return resolution, invalid, nil
}
