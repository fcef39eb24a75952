package servinghistory

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned/fake"
)

// pass runs the reconcile steps once over the service chat, as the controller does.
func pass(t *testing.T, client *fake.Clientset, at time.Time) {
	t.Helper()
	s := &step{client: client.ServingV1alpha1(), namespace: "default", name: "chat", now: func() time.Time { return at }}
	for _, run := range []func(context.Context) (bool, error){s.record, s.annotate, s.prune} {
		more, err := run(context.Background())
		require.NoError(t, err)
		if !more {
			return
		}
	}
}

func storedRevisions(t *testing.T, client *fake.Clientset) []string {
	t.Helper()
	list, err := client.ServingV1alpha1().InferenceServiceRevisions("default").List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	SortRevisions(list.Items)
	var out []string
	for _, r := range list.Items {
		out = append(out, r.Name+" "+r.Spec.ResolvedModel.Version+" "+r.Spec.Author+" "+r.Spec.Cause)
	}
	return out
}

func TestStepsRecordAnnotateAndPrune(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	model := &servingv1alpha1.Model{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "llama",
		Annotations: map[string]string{servingv1alpha1.ChangedByAnnotation: "mlops"}},
		Spec: servingv1alpha1.ModelSpec{Format: servingv1alpha1.FormatSafetensors, Versions: []servingv1alpha1.ModelVersion{
			{Name: "v1", Stage: servingv1alpha1.StageProduction}, {Name: "v2"}}}}
	isvc := service("", servingv1alpha1.FollowProduction, map[string]string{servingv1alpha1.ChangedByAnnotation: "alice"})
	isvc.Namespace = "default"
	client := fake.NewSimpleClientset(model, isvc)
	services := client.ServingV1alpha1().InferenceServices("default")

	pass(t, client, at)
	assert.Equal(t, []string{"chat-1 v1 alice created"}, storedRevisions(t, client))
	got, err := services.Get(ctx, "chat", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "1", got.Annotations[servingv1alpha1.RevisionAnnotation])
	rev, err := client.ServingV1alpha1().InferenceServiceRevisions("default").Get(ctx, "chat-1", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, isvc.Spec.Predictor, rev.Spec.Predictor, "the whole predictor")
	assert.Equal(t, at, rev.Spec.ChangeTime.Time.UTC())
	assert.Equal(t, "chat", rev.Labels[servingv1alpha1.ServiceLabel])

	pass(t, client, at)
	assert.Len(t, storedRevisions(t, client), 1, "nothing changed, nothing recorded")

	model.Spec.Versions[0].Stage, model.Spec.Versions[1].Stage = servingv1alpha1.StageArchived, servingv1alpha1.StageProduction
	_, err = client.ServingV1alpha1().Models("default").Update(ctx, model, metav1.UpdateOptions{})
	require.NoError(t, err)
	pass(t, client, at)
	assert.Equal(t, []string{"chat-1 v1 alice created", "chat-2 v2 mlops model llama v2 promoted to Production"}, storedRevisions(t, client))

	got, err = services.Get(ctx, "chat", metav1.GetOptions{})
	require.NoError(t, err)
	limit, replicas := int32(2), int32(3)
	got.Spec.RevisionHistoryLimit, got.Spec.Predictor.MaxReplicas = &limit, &replicas
	got.Annotations[servingv1alpha1.ChangedByAnnotation] = "bob"
	_, err = services.Update(ctx, got, metav1.UpdateOptions{})
	require.NoError(t, err)
	pass(t, client, at)
	assert.Equal(t, []string{"chat-2 v2 mlops model llama v2 promoted to Production", "chat-3 v2 bob spec changed"}, storedRevisions(t, client),
		"revision 3 recorded, revision 1 pruned")
	got, err = services.Get(ctx, "chat", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "3", got.Annotations[servingv1alpha1.RevisionAnnotation])

	require.NoError(t, services.Delete(ctx, "chat", metav1.DeleteOptions{}))
	pass(t, client, at)
	assert.Len(t, storedRevisions(t, client), 2, "a deleted service's revisions are left to the garbage collector")
}
