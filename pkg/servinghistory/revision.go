package servinghistory

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	servingv1alpha1client "github.com/gantry-dev/gantry/sdk/generated/clientset/versioned/typed/serving/v1alpha1"
)

// DefaultRevisionHistoryLimit is how many revisions a service keeps when its spec does not say (the API's default).
const DefaultRevisionHistoryLimit = 10

// The causes the controller writes when admission recorded none.
const (
	// CauseCreated is the cause of a service's first revision.
	CauseCreated = "created"
	// CauseSpecChanged is the cause of a later change of the predictor.
	CauseSpecChanged = "spec changed"
)

// RevisionName is the name of a service's revision n.
func RevisionName(service string, n int64) string {
	return service + "-" + strconv.FormatInt(n, 10)
}

// PromotionCause is the cause of a revision recorded because model's version was promoted to the stage followed.
func PromotionCause(model, version string, stage servingv1alpha1.FollowedStage) string {
	return fmt.Sprintf("model %s %s promoted to %s", model, version, stage)
}

// step is one pass over one service: what every reconcile step reads and writes.
type step struct {
	client    servingv1alpha1client.ServingV1alpha1Interface
	namespace string
	name      string
	now       func() time.Time

	// Filled by record for the later steps.
	service   *servingv1alpha1.InferenceService
	revisions []servingv1alpha1.InferenceServiceRevision
}

// listRevisions returns the service's revisions, oldest first.
func (s *step) listRevisions(ctx context.Context) ([]servingv1alpha1.InferenceServiceRevision, error) {
	return ListRevisions(ctx, s.client, s.namespace, s.name)
}

// ListRevisions returns the revisions recorded for the service namespace/name, oldest first.
func ListRevisions(ctx context.Context, client servingv1alpha1client.ServingV1alpha1Interface, namespace, name string) ([]servingv1alpha1.InferenceServiceRevision, error) {
	list, err := client.InferenceServiceRevisions(namespace).List(ctx, metav1.ListOptions{
		LabelSelector: servingv1alpha1.ServiceLabel + "=" + name})
	if err != nil {
		return nil, err
	}
	revisions := list.Items[:0]
	for _, r := range list.Items {
		if r.Spec.ServiceName == name {
			revisions = append(revisions, r)
		}
	}
	SortRevisions(revisions)
	return revisions, nil
}

// model returns the Model the service refers to, nil when it refers to none or the Model is gone.
func (s *step) model(ctx context.Context, ref *servingv1alpha1.ModelReference) (*servingv1alpha1.Model, error) {
	if ref == nil {
		return nil, nil
	}
	model, err := s.client.Models(s.namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return model, err
}

// SortRevisions orders revisions oldest first.
func SortRevisions(revisions []servingv1alpha1.InferenceServiceRevision) {
	sort.Slice(revisions, func(i, j int) bool { return revisions[i].Spec.Revision < revisions[j].Spec.Revision })
}

// Change is what a service's state asks the history for, compared with its latest revision.
type Change struct {
	// Record says a new revision is due.
	Record bool
	// Cause and Author go into the new revision.
	Cause, Author string
}

// Decide compares a service's predictor and resolved model with its latest revision (nil when it has none). A
// changed predictor is recorded with the cause and author admission wrote on the service; an unchanged predictor
// whose stage now resolves to another version is a promotion, recorded with the Model's author. A model that does
// not resolve (nil) is not a change of its own: the operator reports it.
func Decide(isvc *servingv1alpha1.InferenceService, resolved *servingv1alpha1.ResolvedModel, model *servingv1alpha1.Model,
	latest *servingv1alpha1.InferenceServiceRevision) Change {
	cause := isvc.Annotations[servingv1alpha1.ChangeCauseAnnotation]
	author := isvc.Annotations[servingv1alpha1.ChangedByAnnotation]
	switch {
	case latest == nil:
		if cause == "" {
			cause = CauseCreated
		}
		return Change{Record: true, Cause: cause, Author: author}
	case !equality.Semantic.DeepEqual(latest.Spec.Predictor, isvc.Spec.Predictor):
		if cause == "" {
			cause = CauseSpecChanged
		}
		return Change{Record: true, Cause: cause, Author: author}
	case resolved != nil && !equality.Semantic.DeepEqual(latest.Spec.ResolvedModel, resolved):
		ref := isvc.Spec.Predictor.Model.ModelRef
		if ref == nil || model == nil {
			return Change{Record: true, Cause: CauseSpecChanged, Author: author}
		}
		return Change{Record: true, Cause: PromotionCause(resolved.Name, resolved.Version, ref.Stage),
			Author: model.Annotations[servingv1alpha1.ChangedByAnnotation]}
	default:
		return Change{}
	}
}

// Prunable returns the revisions beyond limit, oldest first, from revisions sorted oldest first.
func Prunable(revisions []servingv1alpha1.InferenceServiceRevision, limit int32) []servingv1alpha1.InferenceServiceRevision {
	if limit < 1 {
		limit = 1
	}
	if excess := len(revisions) - int(limit); excess > 0 {
		return revisions[:excess]
	}
	return nil
}
