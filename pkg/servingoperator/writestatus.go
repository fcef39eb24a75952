package servingoperator

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
)

// writeStatus patches the service's status subresource to st, unless it already is st.
func (r *Reconciler) writeStatus(ctx context.Context, isvc *servingv1alpha1.InferenceService,
	st servingv1alpha1.InferenceServiceStatus) error {
	if equality.Semantic.DeepEqual(isvc.Status, st) {
		return nil
	}
	updated := isvc.DeepCopy()
	updated.Status = st
	if err := r.client.Status().Patch(ctx, updated, client.MergeFrom(isvc)); err != nil {
		return fmt.Errorf("write the status of InferenceService %s/%s: %w", isvc.Namespace, isvc.Name, err)
	}
	statusWritesTotal.Inc()
	return nil
}
