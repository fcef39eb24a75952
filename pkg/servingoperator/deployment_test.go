package servingoperator

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	servingconfig "github.com/gantry-dev/gantry/config/serving"
	"github.com/gantry-dev/gantry/pkg/servingresolve"
)

func ptr[T any](v T) *T { return &v }

// build resolves isvc against the built-in runtimes and llama, and returns the Deployment as the API would see it.
func build(t *testing.T, isvc *servingv1alpha1.InferenceService) *appsv1.Deployment {
	t.Helper()
	builtin, err := servingconfig.Runtimes()
	require.NoError(t, err)
	model := &servingv1alpha1.Model{ObjectMeta: metav1.ObjectMeta{Name: "llama"}, Spec: servingv1alpha1.ModelSpec{
		Format: servingv1alpha1.FormatSafetensors, Versions: []servingv1alpha1.ModelVersion{
			{Name: "v1", StorageURI: "s3://models/llama/v1", Stage: servingv1alpha1.StageProduction}}}}
	resolution, invalid := servingresolve.Resolve(&isvc.Spec.Predictor.Model, model, servingresolve.Catalog{Builtin: builtin})
	require.Nil(t, invalid)
	opts := Options{}.withDefaults()
	d := &desired{isvc: isvc, resolution: resolution, opts: &opts}
	data, err := json.Marshal(d.deployment(hashData(d.runtimeConfig())))
	require.NoError(t, err)
	var out appsv1.Deployment
	require.NoError(t, json.Unmarshal(data, &out))
	return &out
}

func llmService(gpus int64) *servingv1alpha1.InferenceService {
	isvc := &servingv1alpha1.InferenceService{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "chat", UID: "uid-1"},
		Spec: servingv1alpha1.InferenceServiceSpec{Predictor: servingv1alpha1.PredictorSpec{
			Model: servingv1alpha1.PredictorModel{ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: "v1"}}}}}
	if gpus > 0 {
		isvc.Spec.Predictor.Model.Resources.Limits = corev1.ResourceList{
			servingresolve.GPUResource: *resource.NewQuantity(gpus, resource.DecimalSI)}
	}
	return isvc
}

func sklearnService() *servingv1alpha1.InferenceService {
	return &servingv1alpha1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: "iris"},
		Spec: servingv1alpha1.InferenceServiceSpec{Predictor: servingv1alpha1.PredictorSpec{
			Model: servingv1alpha1.PredictorModel{StorageURI: ptr("gs://bucket/iris"),
				ModelFormat: &servingv1alpha1.ModelFormat{Name: servingv1alpha1.FormatSKLearn}}}}}
}

func TestProbesPerProtocol(t *testing.T) {
	tests := []struct {
		name        string
		isvc        *servingv1alpha1.InferenceService
		ready, live string
	}{
		{"openai (vllm)", llmService(0), "/health", "/health"},
		{"v2 (oip)", sklearnService(), "/v2/health/ready", "/v2/health/live"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server := build(t, tt.isvc).Spec.Template.Spec.Containers[0]
			assert.Equal(t, ServerContainer, server.Name)
			assert.Equal(t, tt.ready, server.ReadinessProbe.HTTPGet.Path)
			assert.Equal(t, tt.live, server.LivenessProbe.HTTPGet.Path)
			assert.Equal(t, tt.live, server.StartupProbe.HTTPGet.Path)
			assert.Equal(t, "http", server.ReadinessProbe.HTTPGet.Port.StrVal)
			assert.Equal(t, int32(8080), server.Ports[0].ContainerPort)
		})
	}
}

func TestStartupProbeCoversTheBudget(t *testing.T) {
	server := build(t, llmService(0)).Spec.Template.Spec.Containers[0]
	// vllm's budget is 900s; probed every 10s, 90 failures are allowed before the liveness probe takes over.
	assert.Equal(t, int32(90), server.StartupProbe.FailureThreshold)
	assert.Equal(t, int32(10), server.StartupProbe.PeriodSeconds)
}

func TestGPUsAreRequestsAndLimits(t *testing.T) {
	server := build(t, llmService(2)).Spec.Template.Spec.Containers[0]
	two := resource.MustParse("2")
	assert.True(t, two.Equal(server.Resources.Requests[servingresolve.GPUResource]))
	assert.True(t, two.Equal(server.Resources.Limits[servingresolve.GPUResource]))
	_, hasCPU := server.Resources.Requests[corev1.ResourceCPU]
	assert.False(t, hasCPU, "the spec's resources replace the runtime's")

	server = build(t, llmService(0)).Spec.Template.Spec.Containers[0]
	assert.Equal(t, resource.MustParse("2"), server.Resources.Requests[corev1.ResourceCPU], "the runtime's default")
	_, hasGPU := server.Resources.Limits[servingresolve.GPUResource]
	assert.False(t, hasGPU)
}

func TestGPUProductAffinity(t *testing.T) {
	assert.Nil(t, build(t, llmService(1)).Spec.Template.Spec.Affinity, "no product, no affinity")

	isvc := llmService(1)
	isvc.Spec.Predictor.GPUProduct = "NVIDIA-H100-80GB-HBM3"
	affinity := build(t, isvc).Spec.Template.Spec.Affinity
	require.NotNil(t, affinity)
	terms := affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	require.Len(t, terms, 1)
	assert.Equal(t, []corev1.NodeSelectorRequirement{{Key: GPUProductLabel, Operator: corev1.NodeSelectorOpIn,
		Values: []string{"NVIDIA-H100-80GB-HBM3"}}}, terms[0].MatchExpressions)
}

func TestStorageInitializer(t *testing.T) {
	spec := build(t, sklearnService()).Spec.Template.Spec
	require.Len(t, spec.InitContainers, 1)
	init := spec.InitContainers[0]
	assert.Equal(t, StorageInitializerContainer, init.Name)
	assert.Equal(t, DefaultStorageInitializerImage, init.Image)
	assert.Equal(t, []string{"gs://bucket/iris", ModelDir}, init.Args)
	assert.Equal(t, []corev1.VolumeMount{{Name: modelVolume, MountPath: ModelDir}}, init.VolumeMounts)
	assert.Contains(t, spec.Containers[0].VolumeMounts, corev1.VolumeMount{Name: modelVolume, MountPath: ModelDir, ReadOnly: true})
	assert.Contains(t, spec.Volumes, corev1.Volume{Name: modelVolume,
		VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	// The model by reference: the resolved version's URI.
	assert.Equal(t, "s3://models/llama/v1", build(t, llmService(0)).Spec.Template.Spec.InitContainers[0].Args[0])
}

func TestReplicasOwnerAndLabels(t *testing.T) {
	isvc := sklearnService()
	isvc.Labels = map[string]string{"team": "a", "workload.gantry.dev/sync-target": "x"}
	isvc.Annotations = map[string]string{"gantry.dev/fake-fault": "OOMKilled", RevisionAnnotation: "3",
		"kubectl.kubernetes.io/last-applied-configuration": "{}"}
	d := build(t, isvc)
	assert.Equal(t, int32(1), *d.Spec.Replicas, "default minReplicas")
	assert.Equal(t, "iris-predictor", d.Name)
	require.Len(t, d.OwnerReferences, 1)
	assert.Equal(t, "InferenceService", d.OwnerReferences[0].Kind)
	assert.True(t, *d.OwnerReferences[0].Controller)
	tmpl := d.Spec.Template
	assert.Equal(t, "a", tmpl.Labels["team"])
	assert.Equal(t, "iris", tmpl.Labels[ServiceLabel])
	assert.NotContains(t, tmpl.Labels, "workload.gantry.dev/sync-target")
	assert.Equal(t, "OOMKilled", tmpl.Annotations["gantry.dev/fake-fault"], "user annotations reach the pods")
	assert.NotContains(t, tmpl.Annotations, RevisionAnnotation, "a new revision number alone must not roll pods")
	assert.NotContains(t, tmpl.Annotations, "kubectl.kubernetes.io/last-applied-configuration")
	assert.NotEmpty(t, tmpl.Annotations[ConfigHashAnnotation])
	assert.Equal(t, map[string]string{ServiceLabel: "iris"}, d.Spec.Selector.MatchLabels)

	isvc.Spec.Predictor.MinReplicas = ptr(int32(3))
	assert.Equal(t, int32(3), *build(t, isvc).Spec.Replicas)
}

func TestNames(t *testing.T) {
	assert.Equal(t, "chat-predictor", predictorName("chat"))
	assert.Equal(t, "chat-runtime-config", configMapName("chat"))
	long := strings.Repeat("a", 100)
	for _, n := range []string{predictorName(long), configMapName(long), serviceLabelValue(long)} {
		assert.LessOrEqual(t, len(n), 63, n)
	}
	assert.NotEqual(t, predictorName(long), predictorName(long+"b"), "long names stay distinct")
	assert.Equal(t, "http://chat-predictor.team.svc.cluster.local", serviceURL("chat", "team", "cluster.local"))
}
