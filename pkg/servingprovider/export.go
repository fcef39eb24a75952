package servingprovider

import (
	"context"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
)

// ensureExport creates the APIExport of the serving API, or points it at this binary's schemas: every binding then
// serves them.
func (c *Controller) ensureExport(ctx context.Context, schemas []string) error {
	client, err := c.clients.Gantry(Path)
	if err != nil {
		return err
	}
	exports := client.ApisV1alpha1().APIExports()
	export, err := exports.Get(ctx, ExportName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = exports.Create(ctx, &apisv1alpha1.APIExport{
			ObjectMeta: metav1.ObjectMeta{Name: ExportName},
			Spec:       apisv1alpha1.APIExportSpec{LatestResourceSchemas: schemas},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	if slices.Equal(export.Spec.LatestResourceSchemas, schemas) {
		return nil
	}
	export = export.DeepCopy()
	export.Spec.LatestResourceSchemas = schemas
	_, err = exports.Update(ctx, export, metav1.UpdateOptions{})
	return err
}
