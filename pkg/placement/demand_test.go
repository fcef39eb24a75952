package placement

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// object decodes a YAML manifest into an unstructured object, as the dynamic client returns it.
func object(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	raw, err := yaml.YAMLToJSON([]byte(manifest))
	require.NoError(t, err)
	u := &unstructured.Unstructured{}
	require.NoError(t, utiljson.Unmarshal(raw, &u.Object)) // integers as int64, as the dynamic client decodes them
	return u
}

// gpuContainer is a container requesting n GPUs as a limit (the request defaults to it).
func gpuContainer(name, n string) string {
	return "{name: " + name + ", image: x, resources: {limits: {nvidia.com/gpu: " + n + "}}}"
}

func TestGPUDemand(t *testing.T) {
	for _, tc := range []struct {
		name     string
		resource string // key of the resources below
		manifest string
		want     int64
	}{
		{"a Deployment: replicas times the GPUs of a pod", "deployments", `
metadata: {name: d, namespace: ns}
spec: {replicas: 3, template: {spec: {containers: [` + gpuContainer("a", "2") + `]}}}`, 6},
		{"a Deployment without replicas runs one", "deployments", `
metadata: {name: d, namespace: ns}
spec: {template: {spec: {containers: [` + gpuContainer("a", "4") + `]}}}`, 4},
		{"a Deployment scaled to zero requests none", "deployments", `
metadata: {name: d, namespace: ns}
spec: {replicas: 0, template: {spec: {containers: [` + gpuContainer("a", "4") + `]}}}`, 0},
		{"containers add up, the request wins over the limit", "statefulsets", `
metadata: {name: s, namespace: ns}
spec: {replicas: 2, template: {spec: {containers: [` + gpuContainer("a", "1") + `,
  {name: b, image: x, resources: {requests: {nvidia.com/gpu: 2}, limits: {nvidia.com/gpu: 2}}},
  {name: c, image: x, resources: {requests: {cpu: "1"}}}]}}}`, 6},
		{"an init container counts when it asks for more than the containers together", "replicasets", `
metadata: {name: r, namespace: ns}
spec: {replicas: 1, template: {spec: {initContainers: [` + gpuContainer("i", "1") + `, ` + gpuContainer("j", "3") + `],
  containers: [` + gpuContainer("a", "2") + `]}}}`, 3},
		{"an init container asking for less does not add", "deployments", `
metadata: {name: d, namespace: ns}
spec: {replicas: 2, template: {spec: {initContainers: [` + gpuContainer("i", "1") + `],
  containers: [` + gpuContainer("a", "2") + `]}}}`, 4},
		{"a Job: parallelism pods", "jobs", `
metadata: {name: j, namespace: ns}
spec: {parallelism: 3, template: {spec: {containers: [` + gpuContainer("a", "1") + `]}}}`, 3},
		{"a Job without parallelism runs one", "jobs", `
metadata: {name: j, namespace: ns}
spec: {completions: 5, template: {spec: {containers: [` + gpuContainer("a", "2") + `]}}}`, 2},
		{"a Job never runs more pods than completions", "jobs", `
metadata: {name: j, namespace: ns}
spec: {parallelism: 4, completions: 2, template: {spec: {containers: [` + gpuContainer("a", "1") + `]}}}`, 2},
		{"a bare Pod", "pods", `
metadata: {name: p, namespace: ns}
spec: {containers: [` + gpuContainer("a", "1") + `, ` + gpuContainer("b", "1") + `]}`, 2},
		{"an InferenceService: minReplicas times the predictor's GPUs", "inferenceservices", `
metadata: {name: i, namespace: ns}
spec: {predictor: {minReplicas: 2, maxReplicas: 5, model: {storageUri: "hf://m", modelFormat: {name: safetensors},
  resources: {limits: {nvidia.com/gpu: 2}}}}}`, 4},
		{"an InferenceService without minReplicas runs one", "inferenceservices", `
metadata: {name: i, namespace: ns}
spec: {predictor: {model: {storageUri: "hf://m", modelFormat: {name: safetensors},
  resources: {requests: {nvidia.com/gpu: 1}}}}}`, 1},
		{"an InferenceService without resources gets its ServingRuntime's", "inferenceservices", `
metadata: {name: i, namespace: ns}
spec: {predictor: {minReplicas: 3, model: {runtime: big, storageUri: "hf://m", modelFormat: {name: safetensors}}}}`, 6},
		{"an InferenceService of a built-in runtime without resources requests none", "inferenceservices", `
metadata: {name: i, namespace: ns}
spec: {predictor: {model: {runtime: vllm, storageUri: "hf://m", modelFormat: {name: safetensors}}}}`, 0},
		{"a ServingRuntime of another namespace does not count", "inferenceservices", `
metadata: {name: i, namespace: other}
spec: {predictor: {model: {runtime: big, storageUri: "hf://m", modelFormat: {name: safetensors}}}}`, 0},
		{"a ConfigMap requests none", "configmaps", `
metadata: {name: c, namespace: ns}
data: {nvidia.com/gpu: "8"}`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resources := map[string]placedObject{
				"deployments": {resource: deployments}, "statefulsets": {resource: statefulSets},
				"replicasets": {resource: replicaSets}, "jobs": {resource: jobs}, "pods": {resource: pods},
				"inferenceservices": {resource: inferenceServices}, "configmaps": {},
			}
			o, ok := resources[tc.resource]
			require.True(t, ok)
			o.object = object(t, tc.manifest)
			runtime := placedObject{resource: servingRuntimes, object: object(t, `
metadata: {name: big, namespace: ns}
spec: {gpu: true, resources: {limits: {nvidia.com/gpu: 2}}}`)}
			got, err := gpuDemand([]placedObject{runtime, o})
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestGPUDemandSums(t *testing.T) {
	got, err := gpuDemand([]placedObject{
		{resource: deployments, object: object(t, `{metadata: {name: a, namespace: x}, spec: {replicas: 2, template: {spec: {containers: [`+gpuContainer("a", "1")+`]}}}}`)},
		{resource: jobs, object: object(t, `{metadata: {name: b, namespace: y}, spec: {template: {spec: {containers: [`+gpuContainer("a", "3")+`]}}}}`)},
	})
	require.NoError(t, err)
	assert.Equal(t, int64(5), got)

	got, err = gpuDemand(nil)
	require.NoError(t, err)
	assert.Zero(t, got, "no objects, no GPUs")
}

func TestGPUDemandRefusesMalformedObjects(t *testing.T) {
	for name, tc := range map[string]placedObject{
		"replicas not a number":   {resource: deployments, object: object(t, `{metadata: {name: bad, namespace: ns}, spec: {replicas: "two"}}`)},
		"template not an object":  {resource: statefulSets, object: object(t, `{metadata: {name: bad, namespace: ns}, spec: {template: 3}}`)},
		"containers not a list":   {resource: pods, object: object(t, `{metadata: {name: bad, namespace: ns}, spec: {containers: yes}}`)},
		"predictor not an object": {resource: inferenceServices, object: object(t, `{metadata: {name: bad, namespace: ns}, spec: {predictor: 1}}`)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := gpuDemand([]placedObject{tc})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "reading the GPU request of")
			assert.Contains(t, err.Error(), "ns/bad", "the message names the object")
		})
	}
}
