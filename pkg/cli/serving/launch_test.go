package serving

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned/fake"
)

func TestLaunchParseRef(t *testing.T) {
	for ref, want := range map[string][2]string{"llama": {"llama", ""}, "llama:v2": {"llama", "v2"}, "a.b:2024-06": {"a.b", "2024-06"}} {
		model, version, err := launchParseRef(ref)
		require.NoError(t, err, ref)
		assert.Equal(t, want, [2]string{model, version}, ref)
	}
	for _, ref := range []string{"llama:", "Bad_Name", ":v1"} {
		_, _, err := launchParseRef(ref)
		assert.ErrorContains(t, err, "is not MODEL[:VERSION]", ref)
	}
}

func TestLaunchPickVersion(t *testing.T) {
	withProduction := modelsFixture("ml", "llama", servingv1alpha1.FormatSafetensors, servingv1alpha1.StageArchived, servingv1alpha1.StageProduction)
	v, err := launchPickVersion(&withProduction, "")
	require.NoError(t, err)
	assert.Equal(t, "v2", v, "no version given: the one in Production")
	v, err = launchPickVersion(&withProduction, "v1")
	require.NoError(t, err)
	assert.Equal(t, "v1", v, "a version given wins, whatever its stage")

	_, err = launchPickVersion(&withProduction, "v9")
	assert.EqualError(t, err, `cannot launch llama:v9: Model "llama" has no version "v9"; it has "v1", "v2"`)

	noProduction := modelsFixture("ml", "llama", servingv1alpha1.FormatSafetensors, servingv1alpha1.StageStaging, "")
	_, err = launchPickVersion(&noProduction, "")
	assert.EqualError(t, err, "cannot launch llama: no version of the Model is in stage Production; name one (llama:VERSION) "+
		"or promote one. Its versions: v1(Staging),v2(None)")

	empty := modelsFixture("ml", "llama", servingv1alpha1.FormatSafetensors)
	_, err = launchPickVersion(&empty, "")
	assert.EqualError(t, err, "cannot launch llama: the Model has no versions yet; add one to spec.versions")
}

func TestLaunchService(t *testing.T) {
	model := modelsFixture("ml", "llama", servingv1alpha1.FormatSafetensors, servingv1alpha1.StageProduction)
	isvc := launchService(&model, "v1", &launchOptions{gpus: 2, replicas: 3, runtime: "vllm", gpuProduct: "H100"})
	assert.Equal(t, "llama", isvc.Name, "named after the model by default")
	p := isvc.Spec.Predictor
	assert.Equal(t, &servingv1alpha1.ModelReference{Name: "llama", Version: "v1"}, p.Model.ModelRef)
	assert.Nil(t, p.Model.StorageURI, "the Model gives the files")
	assert.Equal(t, "vllm", p.Model.Runtime)
	assert.Equal(t, "H100", p.GPUProduct)
	assert.Equal(t, int32(3), *p.MinReplicas)
	assert.Equal(t, int32(3), *p.MaxReplicas)
	two := resource.MustParse("2")
	assert.True(t, two.Equal(p.Model.Resources.Requests["nvidia.com/gpu"]))
	assert.True(t, two.Equal(p.Model.Resources.Limits["nvidia.com/gpu"]))

	cpuOnly := launchService(&model, "v1", &launchOptions{name: "other", replicas: 1})
	assert.Equal(t, "other", cpuOnly.Name)
	assert.Equal(t, corev1.ResourceRequirements{}, cpuOnly.Spec.Predictor.Model.Resources, "no GPUs asked, none requested")
}

// launchSequence is a clientset whose Get of the service returns the given healths one after the other, the last
// one repeatedly.
func launchSequence(healths ...servingv1alpha1.Health) *fake.Clientset {
	client := fake.NewSimpleClientset()
	calls := 0
	client.PrependReactor("get", "inferenceservices", func(clienttesting.Action) (bool, runtime.Object, error) {
		h := healths[min(calls, len(healths)-1)]
		calls++
		isvc := &servingv1alpha1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: "ml", Name: "llama"}}
		isvc.Status.Health = h
		return true, isvc, nil
	})
	return client
}

func TestLaunchFollowHealthPrintsEachTransitionOnce(t *testing.T) {
	client := launchSequence(
		servingv1alpha1.Health{},
		healthOf(servingv1alpha1.HealthProgressing, "Deploying", "0/1 replicas ready"),
		healthOf(servingv1alpha1.HealthProgressing, "Deploying", "0/1 replicas ready"),
		healthOf(servingv1alpha1.HealthProgressing, "LoadingModel", "pod llama-a not ready"),
		healthOf(servingv1alpha1.HealthHealthy, "", ""),
	)
	var out bytes.Buffer
	err := launchFollowHealth(context.Background(), client.ServingV1alpha1().InferenceServices("ml"), "llama", time.Minute, &out)
	require.NoError(t, err)
	assert.Equal(t, "health: Unknown\nhealth: Progressing (Deploying): 0/1 replicas ready\n"+
		"health: Progressing (LoadingModel): pod llama-a not ready\nhealth: Healthy\n", out.String())
}

func TestLaunchFollowHealthFailsOnDegradedWithTheReason(t *testing.T) {
	client := launchSequence(
		healthOf(servingv1alpha1.HealthProgressing, "Deploying", ""),
		healthOf(servingv1alpha1.HealthDegraded, "InsufficientGPU", "0/3 nodes are available: 3 Insufficient nvidia.com/gpu"),
	)
	var out bytes.Buffer
	err := launchFollowHealth(context.Background(), client.ServingV1alpha1().InferenceServices("ml"), "llama", time.Minute, &out)
	assert.EqualError(t, err, `inferenceservice "llama" is Degraded (InsufficientGPU): 0/3 nodes are available: 3 Insufficient nvidia.com/gpu`)
	assert.Contains(t, out.String(), "health: Degraded (InsufficientGPU): 0/3 nodes are available")
}

func TestLaunchFollowHealthGivesUpAfterTheTimeout(t *testing.T) {
	client := launchSequence(healthOf(servingv1alpha1.HealthProgressing, "Deploying", ""))
	var out bytes.Buffer
	err := launchFollowHealth(context.Background(), client.ServingV1alpha1().InferenceServices("ml"), "llama", time.Second, &out)
	assert.EqualError(t, err, "inferenceservice \"llama\" is not Healthy after 1s: it is Progressing; `kubectl gantry health isvc/llama` shows why")
}

func TestLaunchFollowHealthNoticesDeletion(t *testing.T) {
	client := fake.NewSimpleClientset()
	err := launchFollowHealth(context.Background(), client.ServingV1alpha1().InferenceServices("ml"), "llama", time.Minute, &bytes.Buffer{})
	assert.EqualError(t, err, `inferenceservice "llama" was deleted while waiting for it to be Healthy`)
}

func TestLaunchFollowHealthStopsWhenForbidden(t *testing.T) {
	client := fake.NewSimpleClientset()
	client.PrependReactor("get", "inferenceservices", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(servingv1alpha1.Resource("inferenceservices"), "llama", errors.New("no get"))
	})
	err := launchFollowHealth(context.Background(), client.ServingV1alpha1().InferenceServices("ml"), "llama", time.Minute, &bytes.Buffer{})
	assert.True(t, apierrors.IsForbidden(err), "the server's 403 as is, at once: %v", err)
}
