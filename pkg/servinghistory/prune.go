package servinghistory

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// prune deletes the oldest revisions beyond the service's spec.revisionHistoryLimit.
func (s *step) prune(ctx context.Context) (bool, error) {
	limit := int32(DefaultRevisionHistoryLimit)
	if l := s.service.Spec.RevisionHistoryLimit; l != nil {
		limit = *l
	}
	for _, old := range Prunable(s.revisions, limit) {
		err := s.client.InferenceServiceRevisions(s.namespace).Delete(ctx, old.Name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &old.UID}})
		if err != nil && !apierrors.IsNotFound(err) {
			return false, err
		}
	}
	return true, nil
}
