package servinghistory

import (
	"context"
	"encoding/json"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
)

// annotate writes the number of the service's latest revision into servingv1alpha1.RevisionAnnotation; the serving
// operator copies it into status.revision. It patches the annotation alone, so that it neither conflicts with nor
// rewrites a concurrent change of the spec.
func (s *step) annotate(ctx context.Context) (bool, error) {
	if len(s.revisions) == 0 {
		return true, nil
	}
	want := strconv.FormatInt(s.revisions[len(s.revisions)-1].Spec.Revision, 10)
	if s.service.Annotations[servingv1alpha1.RevisionAnnotation] == want {
		return true, nil
	}
	patch, err := json.Marshal(map[string]interface{}{"metadata": map[string]interface{}{
		"annotations": map[string]string{servingv1alpha1.RevisionAnnotation: want}}})
	if err != nil {
		return false, err
	}
	updated, err := s.client.InferenceServices(s.namespace).Patch(ctx, s.name, types.MergePatchType, patch, metav1.PatchOptions{})
	if err != nil {
		return false, err
	}
	s.service = updated
	return true, nil
}
