package servinghistory

import (
	"testing"

	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
)

func service(version string, stage servingv1alpha1.FollowedStage, annotations map[string]string) *servingv1alpha1.InferenceService {
	return &servingv1alpha1.InferenceService{
		ObjectMeta: metav1.ObjectMeta{Name: "chat", Annotations: annotations},
		Spec: servingv1alpha1.InferenceServiceSpec{Predictor: servingv1alpha1.PredictorSpec{Model: servingv1alpha1.PredictorModel{
			ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: version, Stage: stage}}}},
	}
}

func revisionOf(isvc *servingv1alpha1.InferenceService, n int64, version string) *servingv1alpha1.InferenceServiceRevision {
	return &servingv1alpha1.InferenceServiceRevision{Spec: servingv1alpha1.InferenceServiceRevisionSpec{
		ServiceName: isvc.Name, Revision: n, Predictor: *isvc.Spec.Predictor.DeepCopy(),
		ResolvedModel: &servingv1alpha1.ResolvedModel{Name: "llama", Version: version}}}
}

func TestRevisionName(t *testing.T) {
	assert.Equal(t, "chat-1", RevisionName("chat", 1))
	assert.Equal(t, "chat-12", RevisionName("chat", 12))
}

func TestDecide(t *testing.T) {
	by := servingv1alpha1.ChangedByAnnotation
	cause := servingv1alpha1.ChangeCauseAnnotation
	v1 := &servingv1alpha1.ResolvedModel{Name: "llama", Version: "v1"}
	v2 := &servingv1alpha1.ResolvedModel{Name: "llama", Version: "v2"}
	model := &servingv1alpha1.Model{ObjectMeta: metav1.ObjectMeta{Name: "llama", Annotations: map[string]string{by: "mlops"}}}
	prod := service("", servingv1alpha1.FollowProduction, map[string]string{by: "alice"})

	tests := []struct {
		name     string
		isvc     *servingv1alpha1.InferenceService
		resolved *servingv1alpha1.ResolvedModel
		latest   *servingv1alpha1.InferenceServiceRevision
		want     Change
	}{
		{"the first revision", service("v1", "", map[string]string{by: "alice"}), v1, nil,
			Change{Record: true, Cause: CauseCreated, Author: "alice"}},
		{"the first revision with the client's cause", service("v1", "", map[string]string{by: "alice", cause: "promoted from root:staging"}), v1, nil,
			Change{Record: true, Cause: "promoted from root:staging", Author: "alice"}},
		{"nothing changed", service("v1", "", map[string]string{by: "alice"}), v1, revisionOf(service("v1", "", nil), 1, "v1"),
			Change{}},
		{"the predictor changed", service("v2", "", map[string]string{by: "bob"}), v2, revisionOf(service("v1", "", nil), 1, "v1"),
			Change{Record: true, Cause: CauseSpecChanged, Author: "bob"}},
		{"a rollback", service("v1", "", map[string]string{by: "bob", cause: "rollback to revision 1"}), v1, revisionOf(service("v2", "", nil), 2, "v2"),
			Change{Record: true, Cause: "rollback to revision 1", Author: "bob"}},
		{"a promotion moves the stage", prod, v2, revisionOf(prod, 1, "v1"),
			Change{Record: true, Cause: "model llama v2 promoted to Production", Author: "mlops"}},
		{"a stage that resolves to nothing is no change", prod, nil, revisionOf(prod, 1, "v1"), Change{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Decide(tt.isvc, tt.resolved, model, tt.latest))
		})
	}
}

func TestPrunable(t *testing.T) {
	var revisions []servingv1alpha1.InferenceServiceRevision
	for _, n := range []int64{3, 1, 5, 2, 4} {
		revisions = append(revisions, servingv1alpha1.InferenceServiceRevision{
			ObjectMeta: metav1.ObjectMeta{Name: RevisionName("chat", n)}, Spec: servingv1alpha1.InferenceServiceRevisionSpec{Revision: n}})
	}
	SortRevisions(revisions)
	names := func(rs []servingv1alpha1.InferenceServiceRevision) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	assert.Equal(t, []string{"chat-1", "chat-2"}, names(Prunable(revisions, 3)), "the oldest go")
	assert.Empty(t, Prunable(revisions, 5))
	assert.Empty(t, Prunable(revisions, 10))
	assert.Equal(t, []string{"chat-1", "chat-2", "chat-3", "chat-4"}, names(Prunable(revisions, 0)), "the newest is always kept")
}
