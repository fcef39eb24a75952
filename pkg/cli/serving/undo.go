package serving

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// RollbackCause is the change-cause of a rollback to revision n.
func RollbackCause(n int64) string { return "rollback to revision " + strconv.FormatInt(n, 10) }

// PickRevision returns the revision to roll back to: number to, or with to 0 the newest one before the current
// revision (the service's revision annotation, else the newest).
func PickRevision(isvc *servingv1alpha1.InferenceService, revisions []servingv1alpha1.InferenceServiceRevision, to int64) (*servingv1alpha1.InferenceServiceRevision, error) {
	if len(revisions) == 0 {
		return nil, fmt.Errorf("inferenceservice/%s has no revisions recorded yet", isvc.Name)
	}
	if to > 0 {
		for i := range revisions {
			if revisions[i].Spec.Revision == to {
				return &revisions[i], nil
			}
		}
		return nil, fmt.Errorf("inferenceservice/%s has no revision %d: it keeps %s (see kubectl gantry rollout history isvc/%s)",
			isvc.Name, to, numbers(revisions), isvc.Name)
	}
	current := revisions[len(revisions)-1].Spec.Revision
	if n, err := strconv.ParseInt(isvc.Annotations[servingv1alpha1.RevisionAnnotation], 10, 64); err == nil {
		current = n
	}
	for i := len(revisions) - 1; i >= 0; i-- {
		if revisions[i].Spec.Revision < current {
			return &revisions[i], nil
		}
	}
	return nil, fmt.Errorf("inferenceservice/%s has no revision before revision %d to roll back to", isvc.Name, current)
}

func numbers(revisions []servingv1alpha1.InferenceServiceRevision) string {
	s := ""
	for i, r := range revisions {
		if i > 0 {
			s += ", "
		}
		s += strconv.FormatInt(r.Spec.Revision, 10)
	}
	return s
}

// Undo writes the predictor of a recorded revision back into the service, with the change-cause "rollback to
// revision N"; the history then records it as a new revision. A service whose predictor already is that revision's
// is left alone.
func Undo(ctx context.Context, client versioned.Interface, namespace, name string, to int64, out io.Writer) error {
	services := client.ServingV1alpha1().InferenceServices(namespace)
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		isvc, revisions, err := Revisions(ctx, client, namespace, name)
		if err != nil {
			return err
		}
		target, err := PickRevision(isvc, revisions, to)
		if err != nil {
			return err
		}
		if equality.Semantic.DeepEqual(isvc.Spec.Predictor, target.Spec.Predictor) {
			_, err := fmt.Fprintf(out, "inferenceservice.serving.gantry.dev/%s skipped rollback (the predictor already is revision %d's)\n",
				name, target.Spec.Revision)
			return err
		}
		isvc = isvc.DeepCopy()
		isvc.Spec.Predictor = *target.Spec.Predictor.DeepCopy()
		if isvc.Annotations == nil {
			isvc.Annotations = map[string]string{}
		}
		isvc.Annotations[servingv1alpha1.ChangeCauseAnnotation] = RollbackCause(target.Spec.Revision)
		if _, err := services.Update(ctx, isvc, metav1.UpdateOptions{}); err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "inferenceservice.serving.gantry.dev/%s rolled back to revision %d\n", name, target.Spec.Revision)
		return err
	})
}
