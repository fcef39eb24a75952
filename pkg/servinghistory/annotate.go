package servinghistory

import (
	"context"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
)

// annotate writes the number of the service's latest revision into servingv1alpha1.RevisionAnnotation; the serving
// operator copies it into status.revision. A conflict retries the whole pass.
func (s *step) annotate(ctx context.Context) (bool, error) {
	if len(s.revisions) == 0 {
		return true, nil
	}
	want := strconv.FormatInt(s.revisions[len(s.revisions)-1].Spec.Revision, 10)
	if s.service.Annotations[servingv1alpha1.RevisionAnnotation] == want {
		return true, nil
	}
	isvc := s.service.DeepCopy()
	if isvc.Annotations == nil {
		isvc.Annotations = map[string]string{}
	}
	isvc.Annotations[servingv1alpha1.RevisionAnnotation] = want
	updated, err := s.client.InferenceServices(s.namespace).Update(ctx, isvc, metav1.UpdateOptions{})
	if err != nil {
		return false, err
	}
	s.service = updated
	return true, nil
}
