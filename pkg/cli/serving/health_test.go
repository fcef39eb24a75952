package serving

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
)

// healthOf is a Health from its three parts.
func healthOf(state servingv1alpha1.HealthState, reason, message string) servingv1alpha1.Health {
	return servingv1alpha1.Health{State: state, Reason: reason, Message: message}
}

func TestHealthTreeFull(t *testing.T) {
	isvc := &servingv1alpha1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: "ml", Name: "llama"}}
	isvc.Status = servingv1alpha1.InferenceServiceStatus{
		Health:   healthOf(servingv1alpha1.HealthDegraded, "InsufficientGPU", "Deployment llama-predictor on gpu-us: 0/1 nodes have nvidia.com/gpu"),
		Model:    "llama:v1",
		Revision: 3,
		Ready:    "1/2",
		URL:      "http://llama.ml.example",
		ModelStatus: servingv1alpha1.ModelStatus{LastFailureInfo: &servingv1alpha1.FailureInfo{
			Reason: "InsufficientGPU", Message: "0/1 nodes have nvidia.com/gpu"}},
		Clusters: []servingv1alpha1.ClusterHealth{
			{Name: "gpu-eu", Health: healthOf(servingv1alpha1.HealthHealthy, "", ""), ReadyReplicas: 1, Replicas: 1},
			{Name: "gpu-us", Health: healthOf(servingv1alpha1.HealthDegraded, "InsufficientGPU", "cluster gpu-us: 0/1 nodes have nvidia.com/gpu"), Replicas: 1},
		},
		Components: []servingv1alpha1.ComponentHealth{
			{Kind: "Deployment", Name: "llama-predictor", Cluster: "gpu-eu", Health: healthOf(servingv1alpha1.HealthHealthy, "", ""),
				Children: []servingv1alpha1.ChildHealth{{Kind: "Pod", Name: "llama-predictor-a", Health: healthOf(servingv1alpha1.HealthHealthy, "", ""),
					Children: []servingv1alpha1.LeafHealth{{Kind: "Container", Name: "kserve-container", Health: healthOf(servingv1alpha1.HealthHealthy, "", "")}}}}},
			{Kind: "Deployment", Name: "llama-predictor", Cluster: "gpu-us", Health: healthOf(servingv1alpha1.HealthDegraded, "InsufficientGPU", "0/1 nodes have nvidia.com/gpu"),
				Children: []servingv1alpha1.ChildHealth{{Kind: "Pod", Name: "llama-predictor-b", Health: healthOf(servingv1alpha1.HealthDegraded, "InsufficientGPU", "0/1 nodes have nvidia.com/gpu"),
					Children: []servingv1alpha1.LeafHealth{{Kind: "Container", Name: "kserve-container", Health: healthOf(servingv1alpha1.HealthProgressing, "ContainerCreating", "")}}}}},
		},
	}
	var out bytes.Buffer
	healthTree(&out, isvc)
	assert.Equal(t, `inferenceservice/llama (namespace ml): Degraded (InsufficientGPU): Deployment llama-predictor on gpu-us: 0/1 nodes have nvidia.com/gpu
  model llama:v1, revision 3, 1/2 ready, url http://llama.ml.example
  last failure: InsufficientGPU: 0/1 nodes have nvidia.com/gpu
Clusters: 1 of 2 unhealthy (gpu-us)
  gpu-eu: 1/1 ready, Healthy
  gpu-us: 0/1 ready, Degraded (InsufficientGPU): 0/1 nodes have nvidia.com/gpu
Components:
  Deployment llama-predictor on gpu-eu: Healthy
    Pod llama-predictor-a: Healthy
      Container kserve-container: Healthy
  Deployment llama-predictor on gpu-us: Degraded (InsufficientGPU): 0/1 nodes have nvidia.com/gpu
    Pod llama-predictor-b: Degraded (InsufficientGPU): 0/1 nodes have nvidia.com/gpu
      Container kserve-container: Progressing (ContainerCreating)
`, out.String())
}

// TestHealthTreePartial: a service whose status is empty, or has only the overall health and components, prints
// what is known and says what is not reported.
func TestHealthTreePartial(t *testing.T) {
	isvc := &servingv1alpha1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: "ml", Name: "new"}}
	var out bytes.Buffer
	healthTree(&out, isvc)
	assert.Equal(t, "inferenceservice/new (namespace ml): Unknown\nClusters: none reported\nComponents: none reported\n", out.String())

	isvc.Status.Health = healthOf(servingv1alpha1.HealthProgressing, "Deploying", "")
	isvc.Status.Components = []servingv1alpha1.ComponentHealth{{Kind: "Deployment", Name: "new-predictor"}}
	out.Reset()
	healthTree(&out, isvc)
	assert.Equal(t, "inferenceservice/new (namespace ml): Progressing (Deploying)\nClusters: none reported\n"+
		"Components:\n  Deployment new-predictor: Unknown\n", out.String())
}

// TestWithoutClusterName: a row's message loses the "cluster NAME: " of its own cluster only.
func TestWithoutClusterName(t *testing.T) {
	row := servingv1alpha1.ClusterHealth{Name: "west", Health: healthOf(servingv1alpha1.HealthDegraded, "Unschedulable", "cluster west: pod p: Unschedulable")}
	assert.Equal(t, healthOf(servingv1alpha1.HealthDegraded, "Unschedulable", "pod p: Unschedulable"), withoutClusterName(row))
	assert.Equal(t, "cluster west: pod p: Unschedulable", row.Health.Message, "the status itself is left as it is")
	row.Health.Message = "cluster west-2: pod p: Unschedulable"
	assert.Equal(t, "cluster west-2: pod p: Unschedulable", withoutClusterName(row).Message, "another cluster's name stays")
}

// TestClustersHeading: the line above the cluster rows counts the clusters that are not Healthy (Unknown and
// a missing state included) and names them in row order; with none, it says all are healthy.
func TestClustersHeading(t *testing.T) {
	healthy := healthOf(servingv1alpha1.HealthHealthy, "", "")
	for name, tc := range map[string]struct {
		clusters []servingv1alpha1.ClusterHealth
		want     string
	}{
		"all healthy": {[]servingv1alpha1.ClusterHealth{{Name: "east", Health: healthy}, {Name: "west", Health: healthy}},
			"Clusters: 2 of 2 healthy"},
		"one degraded": {[]servingv1alpha1.ClusterHealth{{Name: "east", Health: healthy},
			{Name: "west", Health: healthOf(servingv1alpha1.HealthDegraded, "Unschedulable", "0/1 nodes are available")}},
			"Clusters: 1 of 2 unhealthy (west)"},
		"unknown and unreported count as unhealthy": {[]servingv1alpha1.ClusterHealth{{Name: "a"},
			{Name: "b", Health: healthy}, {Name: "c", Health: healthOf(servingv1alpha1.HealthUnknown, "NoData", "")}},
			"Clusters: 2 of 3 unhealthy (a, c)"},
		"one cluster": {[]servingv1alpha1.ClusterHealth{{Name: "gpu", Health: healthy}}, "Clusters: 1 of 1 healthy"},
	} {
		t.Run(name, func(t *testing.T) { assert.Equal(t, tc.want, clustersHeading(tc.clusters)) })
	}
}

func TestHealthParseRef(t *testing.T) {
	for ref, want := range map[string]string{
		"isvc/llama": "llama", "llama": "llama", "inferenceservice/llama": "llama",
		"InferenceServices.serving.gantry.dev/llama": "llama",
	} {
		got, err := healthParseRef(ref)
		require.NoError(t, err, ref)
		assert.Equal(t, want, got, ref)
	}
	for ref, want := range map[string]string{
		"deployment/llama": `"deployment/llama" is not TYPE/NAME: use isvc/NAME`,
		"isvc/":            `"isvc/" is not TYPE/NAME: use isvc/NAME`,
		"model/llama":      `"model/llama": this command takes isvc/NAME`,
		"":                 `"" is not TYPE/NAME: use isvc/NAME`,
	} {
		_, err := healthParseRef(ref)
		assert.EqualError(t, err, want, ref)
	}
}
