package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

// fleetCluster is a real cluster of a fleet: its SyncTarget's name and the GPUs of its one H100 node.
type fleetCluster struct {
	name string
	gpus int
}

// computeFleet is a Gantry whose compute workspace registers real clusters as SyncTargets, each with its running
// gantry-syncer, and offers their Deployments to teams (the export "kubernetes", imported from the first).
type computeFleet struct {
	*computeFlow
	computeCluster string
	compute        *harness.Kubectl
	clusters       map[string]*kubecluster.Cluster
	nodes          map[string]*corev1.Node
	syncers        map[string]*harness.Process
	clients        map[string]kubernetes.Interface
}

// startComputeFleet starts the clusters, a Gantry with a 5 s SyncTarget lease (a stopped syncer is noticed
// quickly) and every cluster's syncer, in the order given.
func startComputeFleet(t *testing.T, clusters ...fleetCluster) *computeFleet {
	t.Helper()
	f := &computeFleet{clusters: map[string]*kubecluster.Cluster{}, nodes: map[string]*corev1.Node{},
		syncers: map[string]*harness.Process{}, clients: map[string]kubernetes.Interface{}}
	for _, c := range clusters {
		kc := kubecluster.Start(t)
		f.clusters[c.name] = kc
		f.nodes[c.name] = kc.AddGPUNode(t, "gpu-0", h100, c.gpus)
		f.clients[c.name] = kubernetes.NewForConfigOrDie(kc.RESTConfig())
	}
	s := harness.Start(t, "--synctarget-lease=5s")
	computePath, computeCluster := s.CreateWorkspace(t, "root", "compute")
	f.computeFlow = &computeFlow{s: s, computePath: computePath}
	f.computeCluster, f.compute = computeCluster, s.Kubectl(computePath)
	_, progress, err := s.UserShell(t, computePath, "").Run("gantry", "import-apis", "--from-kubeconfig",
		f.clusters[clusters[0].name].Kubeconfig(), "deployments.apps")
	require.NoError(t, err, progress)
	for _, c := range clusters {
		f.syncers[c.name] = registerCluster(t, s, computePath, f.clusters[c.name], c.name)
	}
	return f
}

// placementYAML is a Placement of the fleet's compute workspace; spec adds fields ("clusters: 2").
func (f *computeFleet) placementYAML(name, spec string) string {
	if spec != "" {
		spec = ", " + spec
	}
	return fmt.Sprintf("apiVersion: compute.gantry.dev/v1alpha1\nkind: Placement\nmetadata: {name: %s}\nspec: {locationWorkspace: %q%s}\n",
		name, f.computePath, spec)
}

// available is the available replicas of a cluster's copy of the Deployment namespace/name, -1 when it has none.
func (f *computeFleet) available(cluster, namespace, name string) int32 {
	d, err := f.clients[cluster].AppsV1().Deployments(namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return -1
	}
	return d.Status.AvailableReplicas
}

// deploymentYAML is the Deployment llm in namespace default: replicas pods of gpus GPUs each, with the given
// state labels set to Sync (written as given only by the workspace admin).
func deploymentYAML(replicas, gpus int, stateLabels ...string) string {
	labels := "app: llm"
	for _, l := range stateLabels {
		labels += ", " + l + ": Sync"
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: llm, namespace: default, labels: {%s}}
spec:
  replicas: %d
  selector: {matchLabels: {app: llm}}
  template:
    metadata: {labels: {app: llm}}
    spec:
      containers:
      - name: server
        image: vllm/vllm-openai:v0.6.0
        resources:
          limits: {nvidia.com/gpu: %d}
`, labels, replicas, gpus)
}

// placedDeployment is deploymentYAML of one GPU per pod.
func placedDeployment(replicas int, stateLabels ...string) string {
	return deploymentYAML(replicas, 1, stateLabels...)
}
