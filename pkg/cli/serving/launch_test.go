package serving

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
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
