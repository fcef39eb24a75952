package servingprovider

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
)

// ensureSelfBinding binds the export in the provider workspace itself, so that the built-in ServingRuntimes can be
// stored there, and waits until the binding is Bound.
func (c *Controller) ensureSelfBinding(ctx context.Context) error {
	client, err := c.clients.Gantry(Path)
	if err != nil {
		return err
	}
	bindings := client.ApisV1alpha1().APIBindings()
	binding, err := bindings.Get(ctx, ExportName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		binding, err = bindings.Create(ctx, &apisv1alpha1.APIBinding{
			ObjectMeta: metav1.ObjectMeta{Name: ExportName},
			Spec: apisv1alpha1.APIBindingSpec{Reference: apisv1alpha1.BindingReference{
				Export: &apisv1alpha1.ExportBindingReference{Path: Path, Name: ExportName}}},
		}, metav1.CreateOptions{})
	}
	if err != nil {
		return err
	}
	if binding.Status.Phase != apisv1alpha1.APIBindingPhaseBound {
		return errWaitForBinding
	}
	return nil
}
