package serving

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned/fake"
)

func predictor(version string) servingv1alpha1.PredictorSpec {
	return servingv1alpha1.PredictorSpec{Model: servingv1alpha1.PredictorModel{
		ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: version}}}
}

func chat(version, revision string) *servingv1alpha1.InferenceService {
	return &servingv1alpha1.InferenceService{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "chat",
			Annotations: map[string]string{servingv1alpha1.RevisionAnnotation: revision}},
		Spec: servingv1alpha1.InferenceServiceSpec{Predictor: predictor(version)},
	}
}

func revision(n int64, version, author, cause string, at time.Time) *servingv1alpha1.InferenceServiceRevision {
	t := metav1.NewTime(at)
	return &servingv1alpha1.InferenceServiceRevision{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "chat-" + string(rune('0'+n)),
			Labels: map[string]string{servingv1alpha1.ServiceLabel: "chat"}},
		Spec: servingv1alpha1.InferenceServiceRevisionSpec{ServiceName: "chat", Revision: n, Predictor: predictor(version),
			ResolvedModel: &servingv1alpha1.ResolvedModel{Name: "llama", Version: version}, Author: author, ChangeTime: &t, Cause: cause},
	}
}

func TestParseTarget(t *testing.T) {
	for arg, want := range map[string]string{"isvc/chat": kindService, "inferenceservices/chat": kindService,
		"InferenceService.serving.gantry.dev/chat": kindService, "model/llama": kindModel} {
		kind, _, err := ParseTarget(arg, kindService, kindModel)
		require.NoError(t, err, arg)
		assert.Equal(t, want, kind, arg)
	}
	_, _, err := ParseTarget("model/llama", kindService)
	assert.EqualError(t, err, `"model/llama": this command takes isvc/NAME`)
	for _, bad := range []string{"chat", "isvc/", "deployment/chat"} {
		_, _, err := ParseTarget(bad, kindService)
		assert.ErrorContains(t, err, "is not TYPE/NAME", bad)
	}
}

func TestPrintHistory(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	client := fake.NewSimpleClientset(chat("v1", "3"),
		revision(2, "v2", "bob", "spec changed", now.Add(-time.Hour)),
		revision(1, "v1", "alice", "created", now.Add(-5*time.Hour)),
		revision(3, "v1", "bob", "rollback to revision 1", now.Add(-90*time.Second)))
	isvc, revisions, err := Revisions(context.Background(), client, "default", "chat")
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, PrintHistory(&out, isvc, revisions, now))
	assert.Equal(t, ""+
		"REVISION   MODEL      AUTHOR   AGE   CAUSE\n"+
		"1          llama:v1   alice    5h    created\n"+
		"2          llama:v2   bob      60m   spec changed\n"+
		"3*         llama:v1   bob      90s   rollback to revision 1\n", out.String())

	out.Reset()
	require.NoError(t, PrintHistory(&out, chat("v1", ""), nil, now))
	assert.Equal(t, "No revisions of inferenceservice/chat recorded yet.\n", out.String())
}

func TestUndo(t *testing.T) {
	now := time.Now()
	ctx := context.Background()
	client := fake.NewSimpleClientset(chat("v3", "3"), revision(1, "v1", "a", "created", now),
		revision(2, "v2", "a", "spec changed", now), revision(3, "v3", "a", "spec changed", now))
	var out bytes.Buffer

	require.NoError(t, Undo(ctx, client, "default", "chat", 0, &out))
	got, err := client.ServingV1alpha1().InferenceServices("default").Get(ctx, "chat", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, predictor("v2"), got.Spec.Predictor, "the revision before the current")
	assert.Equal(t, "rollback to revision 2", got.Annotations[servingv1alpha1.ChangeCauseAnnotation])

	require.NoError(t, Undo(ctx, client, "default", "chat", 1, &out))
	got, err = client.ServingV1alpha1().InferenceServices("default").Get(ctx, "chat", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, predictor("v1"), got.Spec.Predictor)
	assert.Equal(t, "rollback to revision 1", got.Annotations[servingv1alpha1.ChangeCauseAnnotation])

	require.NoError(t, Undo(ctx, client, "default", "chat", 1, &out))
	assert.Contains(t, out.String(), "skipped rollback (the predictor already is revision 1's)")

	assert.EqualError(t, Undo(ctx, client, "default", "chat", 7, &out),
		"inferenceservice/chat has no revision 7: it keeps 1, 2, 3 (see kubectl gantry rollout history isvc/chat)")
}

func TestSetStage(t *testing.T) {
	model := &servingv1alpha1.Model{ObjectMeta: metav1.ObjectMeta{Name: "llama"}, Spec: servingv1alpha1.ModelSpec{
		Versions: []servingv1alpha1.ModelVersion{{Name: "v1", Stage: servingv1alpha1.StageProduction}, {Name: "v2", Stage: servingv1alpha1.StageStaging}, {Name: "v3"}}}}
	require.NoError(t, SetStage(model, "v3", servingv1alpha1.StageStaging))
	assert.Equal(t, []servingv1alpha1.ModelStage{"Production", "Staging", "Staging"}, stages(model), "Staging may hold several")
	require.NoError(t, SetStage(model, "v2", servingv1alpha1.StageProduction))
	assert.Equal(t, []servingv1alpha1.ModelStage{"Archived", "Production", "Staging"}, stages(model), "the previous Production version is Archived")
	assert.EqualError(t, SetStage(model, "v9", servingv1alpha1.StageProduction), `model/llama has no version "v9"; it has [v1 v2 v3]`)
}

func stages(m *servingv1alpha1.Model) []servingv1alpha1.ModelStage {
	var out []servingv1alpha1.ModelStage
	for _, v := range m.Spec.Versions {
		out = append(out, v.Stage)
	}
	return out
}

func TestPromoteService(t *testing.T) {
	ctx := context.Background()
	source := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "serving.gantry.dev/v1alpha1", "kind": "InferenceService",
		"metadata": map[string]interface{}{"namespace": "default", "name": "chat",
			"annotations": map[string]interface{}{servingv1alpha1.RevisionAnnotation: "4"}},
		"spec": map[string]interface{}{"revisionHistoryLimit": int64(3), "predictor": map[string]interface{}{
			"model": map[string]interface{}{"modelRef": map[string]interface{}{"name": "llama", "version": "v2"}}}},
	}}
	scheme := runtime.NewScheme()
	lists := map[schema.GroupVersionResource]string{inferenceServicesResource: "InferenceServiceList"}
	staging := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, lists, source)
	prod := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, lists)
	var out bytes.Buffer

	require.NoError(t, PromoteService(ctx, staging, prod, "root:staging", "root:prod", "default", "chat", &out))
	got, err := prod.Resource(inferenceServicesResource).Namespace("default").Get(ctx, "chat", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, source.Object["spec"], got.Object["spec"], "the exact spec")
	assert.Equal(t, map[string]string{servingv1alpha1.ChangeCauseAnnotation: "promoted from root:staging"}, got.GetAnnotations(),
		"the source's revision is not carried over")

	require.NoError(t, unstructured.SetNestedField(source.Object, "v3", "spec", "predictor", "model", "modelRef", "version"))
	_, err = staging.Resource(inferenceServicesResource).Namespace("default").Update(ctx, source, metav1.UpdateOptions{})
	require.NoError(t, err)
	require.NoError(t, PromoteService(ctx, staging, prod, "root:staging", "root:prod", "default", "chat", &out))
	got, err = prod.Resource(inferenceServicesResource).Namespace("default").Get(ctx, "chat", metav1.GetOptions{})
	require.NoError(t, err)
	version, _, _ := unstructured.NestedString(got.Object, "spec", "predictor", "model", "modelRef", "version")
	assert.Equal(t, "v3", version)
	assert.Equal(t, "inferenceservice.serving.gantry.dev/chat created in root:prod (promoted from root:staging)\n"+
		"inferenceservice.serving.gantry.dev/chat updated in root:prod (promoted from root:staging)\n", out.String())

	err = PromoteService(ctx, staging, prod, "root:staging", "root:prod", "default", "missing", &out)
	assert.ErrorContains(t, err, `"missing" not found`)
}

// healthSequence makes each read of the service answer with the next health, the last one repeated.
func healthSequence(client *fake.Clientset, healths ...servingv1alpha1.Health) {
	i := 0
	client.PrependReactor("get", "inferenceservices", func(action clienttesting.Action) (bool, runtime.Object, error) {
		obj, err := client.Tracker().Get(action.GetResource(), action.GetNamespace(), action.(clienttesting.GetAction).GetName())
		if err != nil {
			return true, nil, err
		}
		isvc := obj.(*servingv1alpha1.InferenceService).DeepCopy()
		isvc.Status.Health = healths[min(i, len(healths)-1)]
		i++
		return true, isvc, nil
	})
}

func TestWaitHealthy(t *testing.T) {
	ctx := context.Background()
	starting := servingv1alpha1.Health{State: servingv1alpha1.HealthProgressing, Reason: "Starting", Message: "0/1 ready"}

	client := fake.NewSimpleClientset(chat("v1", "1"))
	healthSequence(client, servingv1alpha1.Health{}, starting, starting, servingv1alpha1.Health{State: servingv1alpha1.HealthHealthy})
	var out bytes.Buffer
	require.NoError(t, WaitHealthy(ctx, client, "default", "chat", 10*time.Second, &out))
	assert.Equal(t, "inferenceservice/chat: Unknown\n"+
		"inferenceservice/chat: Progressing (Starting): 0/1 ready\n"+
		"inferenceservice/chat: Healthy\n", out.String(), "each transition once")

	client = fake.NewSimpleClientset(chat("v1", "1"))
	healthSequence(client, starting, servingv1alpha1.Health{State: servingv1alpha1.HealthDegraded, Reason: "InsufficientGPU",
		Message: "0/3 nodes are available: 3 Insufficient nvidia.com/gpu"})
	out.Reset()
	err := WaitHealthy(ctx, client, "default", "chat", 10*time.Second, &out)
	assert.EqualError(t, err, "inferenceservice/chat is Degraded (InsufficientGPU): 0/3 nodes are available: 3 Insufficient nvidia.com/gpu")

	client = fake.NewSimpleClientset(chat("v1", "1"))
	healthSequence(client, starting)
	err = WaitHealthy(ctx, client, "default", "chat", 600*time.Millisecond, &out)
	assert.EqualError(t, err, "inferenceservice/chat did not become Healthy within 600ms: it is Progressing (Starting): 0/1 ready; "+
		"`kubectl gantry health isvc/chat` shows why")

	err = WaitHealthy(ctx, fake.NewSimpleClientset(), "default", "chat", time.Minute, &out)
	assert.True(t, apierrors.IsNotFound(err), "a service that is not there ends the wait at once with the server's 404: %v", err)
}

func TestWaitHealthyNoticesDeletion(t *testing.T) {
	client := fake.NewSimpleClientset(chat("v1", "1"))
	reads := 0
	client.PrependReactor("get", "inferenceservices", func(clienttesting.Action) (bool, runtime.Object, error) {
		reads++
		if reads > 1 {
			return true, nil, apierrors.NewNotFound(servingv1alpha1.Resource("inferenceservices"), "chat")
		}
		return false, nil, nil // the first read finds it
	})
	err := WaitHealthy(context.Background(), client, "default", "chat", time.Minute, &bytes.Buffer{})
	assert.EqualError(t, err, "inferenceservice/chat was deleted while waiting for it to be Healthy")
}

func TestWaitHealthyStopsWhenRefused(t *testing.T) {
	for name, refusal := range map[string]error{
		"403": apierrors.NewForbidden(servingv1alpha1.Resource("inferenceservices"), "chat", errors.New("no get")),
		"401": apierrors.NewUnauthorized("no credentials"),
	} {
		client := fake.NewSimpleClientset(chat("v1", "1"))
		client.PrependReactor("get", "inferenceservices", func(clienttesting.Action) (bool, runtime.Object, error) {
			return true, nil, refusal
		})
		err := WaitHealthy(context.Background(), client, "default", "chat", time.Minute, &bytes.Buffer{})
		assert.Equal(t, refusal, err, "%s: the server's refusal as is, at once", name)
	}
}

func TestWaitHealthyRetriesWhatMayPass(t *testing.T) {
	client := fake.NewSimpleClientset(chat("v1", "1"))
	reads := 0
	client.PrependReactor("get", "inferenceservices", func(clienttesting.Action) (bool, runtime.Object, error) {
		reads++
		if reads == 1 {
			return true, nil, apierrors.NewServiceUnavailable("the server is starting")
		}
		isvc := chat("v1", "1")
		isvc.Status.Health = servingv1alpha1.Health{State: servingv1alpha1.HealthHealthy}
		return true, isvc, nil
	})
	var out bytes.Buffer
	require.NoError(t, WaitHealthy(context.Background(), client, "default", "chat", time.Minute, &out))
	assert.Equal(t, "inferenceservice/chat: Healthy\n", out.String())
}

func TestStatusWaitsForTheCurrentGeneration(t *testing.T) {
	isvc := chat("v2", "2")
	isvc.Generation = 2
	isvc.Status.ObservedGeneration = 1
	assert.False(t, settled(isvc), "the health describes generation 1")
	isvc.Status.ObservedGeneration = 2
	assert.True(t, settled(isvc))
}
