package serving

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/servinghistory"
	"github.com/gantry-dev/gantry/pkg/servingresolve"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// Revisions returns the recorded revisions of a service, oldest first; NotFound when the service does not exist.
func Revisions(ctx context.Context, client versioned.Interface, namespace, name string) (*servingv1alpha1.InferenceService, []servingv1alpha1.InferenceServiceRevision, error) {
	isvc, err := client.ServingV1alpha1().InferenceServices(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, nil, err
	}
	revisions, err := servinghistory.ListRevisions(ctx, client.ServingV1alpha1(), namespace, name)
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, nil, err
	}
	return isvc, revisions, nil
}

// PrintHistory writes the table of `rollout history`: revision, model, author, age and cause, oldest first; the
// current revision is marked with "*".
func PrintHistory(out io.Writer, isvc *servingv1alpha1.InferenceService, revisions []servingv1alpha1.InferenceServiceRevision, now time.Time) error {
	if len(revisions) == 0 {
		_, err := fmt.Fprintf(out, "No revisions of inferenceservice/%s recorded yet.\n", isvc.Name)
		return err
	}
	current := isvc.Annotations[servingv1alpha1.RevisionAnnotation]
	table := plugin.NewTable(out, "REVISION", "MODEL", "AUTHOR", "AGE", "CAUSE")
	for _, r := range revisions {
		number := strconv.FormatInt(r.Spec.Revision, 10)
		if number == current {
			number += "*"
		}
		at := r.CreationTimestamp.Time
		if r.Spec.ChangeTime != nil {
			at = r.Spec.ChangeTime.Time
		}
		table.Row(number, servingresolve.Label(r.Spec.ResolvedModel), r.Spec.Author, plugin.Age(at, now), r.Spec.Cause)
	}
	return table.Flush()
}
