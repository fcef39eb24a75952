package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/servingprovider"
	"github.com/gantry-dev/gantry/pkg/syncer"
	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

// registerServingCluster registers a real GPU cluster as the SyncTarget name, supporting the serving export, with
// `kubectl gantry sync`; it applies the rendered manifests downstream, runs gantry-syncer against the cluster and,
// once the syncer has installed the serving CRDs there, gantry-serving as its manifests' ServiceAccount with
// --cluster-name name.
func registerServingCluster(t *testing.T, s *harness.Server, computePath string, kc *kubecluster.Cluster, name string) {
	t.Helper()
	owner := s.UserShell(t, computePath, "")
	manifestPath := filepath.Join(t.TempDir(), name+"-syncer.yaml")
	_, progress, err := owner.Run("gantry", "sync", name, "--supported-api-export",
		servingprovider.Path+":"+servingprovider.ExportName, "-o", manifestPath)
	require.NoError(t, err, progress)
	manifests, err := os.ReadFile(manifestPath)
	require.NoError(t, err)
	out, err := runKubectl(kc.Kubeconfig(), string(manifests), "apply", "-f", "-")
	require.NoError(t, err, "the rendered syncer manifests apply: %s", out)
	syncerProcess := harness.StartProcess(t, harness.SyncerBinary(t), "--from-kubeconfig", syncerKubeconfig(t, string(manifests)),
		"--to-kubeconfig", kc.Kubeconfig(), "--sync-target", computePath+"/"+name, "--heartbeat-period", "2s",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "-v", "2")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gantry-syncer %s log:\n%s", name, syncerProcess.Logs())
		}
	})
	s.Kubectl(computePath).MustRun(t, "wait", "--for=condition=Ready", "synctarget/"+name, "--timeout=90s")

	eventually(t, "the serving CRDs installed in "+name+" by its syncer", func() bool {
		_, err := runKubectl(kc.Kubeconfig(), "", "wait", "--for=condition=Established", "--timeout=1s",
			"crd/inferenceservices.serving.gantry.dev", "crd/models.serving.gantry.dev", "crd/servingruntimes.serving.gantry.dev")
		return err == nil
	})
	operator := harness.StartProcess(t, harness.ServingOperatorBinary(t), "--kubeconfig", (&servingFlow{kc: kc}).operatorKubeconfig(t),
		"--cluster-name", name, "--metrics-bind-address", "0", "--health-probe-bind-address", "0", "-v", "2")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gantry-serving %s log:\n%s", name, operator.Logs())
		}
	})
}

// clusterRows decodes an InferenceService's status.clusters[] as the team reads it.
func clusterRows(t *testing.T, team *harness.Kubectl, name string) []servingv1alpha1.ClusterHealth {
	t.Helper()
	var rows []servingv1alpha1.ClusterHealth
	raw := flowGet(t, team, "isvc/"+name, "{.status.clusters}")
	if raw == "" || json.Unmarshal([]byte(raw), &rows) != nil {
		return nil
	}
	return rows
}

// TestServingTwoClusters: the serving provider's per-cluster health end to end. Two real GPU clusters, east and
// west, each with its gantry-syncer and gantry-serving, are registered as SyncTargets supporting the serving
// export; an ml-team workspace's Placement with clusters: 2 places its InferenceService on both. Both clusters run
// the predictor, and the upstream status is the aggregate of the two syncers' views: Healthy and Ready, 2/2, one
// status.clusters[] row per target. West's node is then cordoned and its predictor pod deleted, so that west
// alone (the spec being identical) has a Pending, unschedulable pod: the aggregate health is west's Degraded
// Unschedulable, its message naming west; the rows show east Healthy and west Degraded with the scheduler's
// reason; `kubectl gantry health` names west and why. Uncordoned, west schedules its pod and the aggregate is
// Healthy on both again.
func TestServingTwoClusters(t *testing.T) {
	east, west := kubecluster.Start(t), kubecluster.Start(t)
	east.AddGPUNode(t, "gpu-0", h100, 8)
	west.AddGPUNode(t, "gpu-0", h100, 8)
	s := harness.Start(t, harness.WithServingProvider, "--synctarget-lease=10s")
	s.WaitServingProvider(t)
	computePath, _ := s.CreateWorkspace(t, "root", "compute")
	registerServingCluster(t, s, computePath, east, "east")
	registerServingCluster(t, s, computePath, west, "west")

	org, _ := s.CreateWorkspace(t, "root", "org")
	s.Kubectl(org).WithStdin("apiVersion: tenancy.gantry.dev/v1alpha1\nkind: Workspace\nmetadata: {name: team-a}\nspec: {type: ml-team}\n").
		MustRun(t, "create", "-f", "-")
	teamPath, teamCluster := s.WaitWorkspaceReady(t, org, "team-a")
	team := s.Kubectl(teamPath)
	shell := s.UserShell(t, teamPath, "")
	team.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/serving", "--timeout=60s")
	team.WithStdin("apiVersion: compute.gantry.dev/v1alpha1\nkind: Placement\nmetadata: {name: ha}\nspec: {locationWorkspace: \""+
		computePath+"\", clusters: 2}\n").MustRun(t, "create", "-f", "-")
	team.MustRun(t, "wait", "--for=condition=Ready", "placement/ha", "--timeout=90s")
	require.Equal(t, "east west", team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.selectedTargets[*].name}"))
	ns := syncer.DownstreamNamespace(string(logicalcluster.Name(teamCluster)), "default")

	team.WithStdin(flowModel("s3://team-a/llama", "Production", "Staging")).MustRun(t, "apply", "-f", "-")
	team.WithStdin(flowService("chat", "1", h100)).MustRun(t, "apply", "-f", "-")

	clients := map[string]kubernetes.Interface{
		"east": kubernetes.NewForConfigOrDie(east.RESTConfig()),
		"west": kubernetes.NewForConfigOrDie(west.RESTConfig()),
	}
	// predictor is "NODE PHASE READY" for each predictor pod of a cluster, sorted by pod name.
	predictor := func(cluster string) string {
		pods, err := clients[cluster].CoreV1().Pods(ns).List(context.Background(),
			metav1.ListOptions{LabelSelector: "serving.gantry.dev/inferenceservice=chat"})
		if err != nil {
			return ""
		}
		var out []string
		for _, p := range pods.Items {
			ready := "NotReady"
			for _, c := range p.Status.Conditions {
				if c.Type == "Ready" && c.Status == "True" {
					ready = "Ready"
				}
			}
			if p.DeletionTimestamp != nil {
				ready += ",Deleting"
			}
			out = append(out, strings.TrimSpace(p.Spec.NodeName+" "+string(p.Status.Phase)+" "+ready))
		}
		return strings.Join(out, "; ")
	}
	// rowsSay is "NAME=STATE/REASON r/n" for each status.clusters[] row.
	rowsSay := func() string {
		var out []string
		for _, r := range clusterRows(t, team, "chat") {
			out = append(out, r.Name+"="+string(r.Health.State)+"/"+r.Health.Reason+" "+
				fmt.Sprintf("%d/%d", r.ReadyReplicas, r.Replicas))
		}
		return strings.Join(out, " ")
	}
	waitAggregate := func(what, state, reason, rows string) {
		t.Helper()
		var got string
		ok := assert.Eventually(t, func() bool {
			got = flowGet(t, team, "isvc/chat", "{.status.health.state}/{.status.health.reason}") + " | " + rowsSay()
			return got == state+"/"+reason+" | "+rows
		}, 3*time.Minute, 500*time.Millisecond, what)
		if !ok {
			t.Fatalf("%s: got %q; status: %s\neast: %s\nwest: %s", what, got, flowGet(t, team, "isvc/chat", "{.status}"),
				predictor("east"), predictor("west"))
		}
	}

	t.Run("both clusters run the predictor; the aggregate is Healthy and Ready with one row per cluster", func(t *testing.T) {
		eventually(t, "the predictor Running and Ready in both clusters", func() bool {
			return predictor("east") == "gpu-0 Running Ready" && predictor("west") == "gpu-0 Running Ready"
		})
		spec := func(cluster string) string {
			d, err := clients[cluster].AppsV1().Deployments(ns).Get(context.Background(), "chat-predictor", metav1.GetOptions{})
			if err != nil {
				return ""
			}
			raw, _ := json.Marshal(d.Spec.Template.Spec.Containers)
			return string(raw)
		}
		assert.Equal(t, spec("east"), spec("west"), "the identical predictor in both clusters")
		waitAggregate("the aggregate Healthy on both", "Healthy", "Available", "east=Healthy/Available 1/1 west=Healthy/Available 1/1")
		assert.Equal(t, "Healthy on all 2 clusters (east, west)", flowGet(t, team, "isvc/chat", "{.status.health.message}"))
		assert.Equal(t, "llama:v1 2/2", flowGet(t, team, "isvc/chat", "{.status.model} {.status.ready}"))
		assert.Equal(t, "True", flowGet(t, team, "isvc/chat", `{.status.conditions[?(@.type=="Ready")].status}`))
		assert.Equal(t, "east west", flowGet(t, team, "isvc/chat", "{.status.components[*].cluster}"))
		assert.Contains(t, team.MustRun(t, "get", "isvc", "chat", "-n", "default"), "Healthy")
	})

	t.Run("west alone unschedulable: the worst health wins, naming west; east's row stays Healthy", func(t *testing.T) {
		out, err := runKubectl(west.Kubeconfig(), "", "cordon", "gpu-0")
		require.NoError(t, err, out)
		out, err = runKubectl(west.Kubeconfig(), "", "delete", "pods", "-n", ns, "-l", "serving.gantry.dev/inferenceservice=chat", "--wait=false")
		require.NoError(t, err, out)
		eventually(t, "west's new predictor pod Pending, east's still Running", func() bool {
			return predictor("west") == "Pending NotReady" && predictor("east") == "gpu-0 Running Ready"
		})

		waitAggregate("the aggregate Degraded by west", "Degraded", "Unschedulable",
			"east=Healthy/Available 1/1 west=Degraded/Unschedulable 0/1")
		message := flowGet(t, team, "isvc/chat", "{.status.health.message}")
		assert.True(t, strings.HasPrefix(message, "cluster west: "), "the aggregate message names west: %q", message)
		assert.NotContains(t, message, "cluster west: cluster west:", "named once, though west's operator names its cluster too")
		assert.Contains(t, message, "unschedulable", "and says why, in the scheduler's words: %q", message)
		assert.NotContains(t, message, "east")
		assert.Equal(t, "1/2", flowGet(t, team, "isvc/chat", "{.status.ready}"))
		westRow := flowGet(t, team, "isvc/chat", `{.status.clusters[?(@.name=="west")].health.message}`)
		assert.Contains(t, westRow, "unschedulable", "west's row carries the scheduler's message")
		assert.Equal(t, "Available", flowGet(t, team, "isvc/chat", `{.status.clusters[?(@.name=="east")].health.reason}`))

		health := shell.MustRun(t, "gantry", "health", "isvc/chat", "-n", "default")
		t.Logf("kubectl gantry health:\n%s", health)
		lines := strings.Split(health, "\n")
		assert.True(t, strings.HasPrefix(lines[0], "inferenceservice/chat (namespace default): Degraded (Unschedulable): cluster west: "),
			"the first line is the aggregate, naming west: %q", lines[0])
		assert.Contains(t, lines, "Clusters: 1 of 2 unhealthy (west)")
		assert.Contains(t, lines, "  east: 1/1 ready, Healthy (Available): deployment chat-predictor: Available: 1 of 1 replica(s) available")
		assert.Regexp(t, `(?m)^  west: 0/1 ready, Degraded \(Unschedulable\): pod chat-predictor-[a-z0-9-]+: Unschedulable: 0/1 nodes are available: 1 node\(s\) were unschedulable`, health)
		assert.Regexp(t, `(?m)^  Deployment chat-predictor on west: .*\n    Pod chat-predictor-[a-z0-9-]+: Degraded \(Unschedulable\): 0/1 nodes are available`, health)
	})

	t.Run("west uncordoned: its pod schedules and the aggregate recovers", func(t *testing.T) {
		out, err := runKubectl(west.Kubeconfig(), "", "uncordon", "gpu-0")
		require.NoError(t, err, out)
		eventually(t, "west's predictor Running and Ready again", func() bool { return predictor("west") == "gpu-0 Running Ready" })
		waitAggregate("the aggregate Healthy on both again", "Healthy", "Available", "east=Healthy/Available 1/1 west=Healthy/Available 1/1")
		assert.Equal(t, "Healthy on all 2 clusters (east, west)", flowGet(t, team, "isvc/chat", "{.status.health.message}"))
		assert.Equal(t, "2/2", flowGet(t, team, "isvc/chat", "{.status.ready}"))
		health := shell.MustRun(t, "gantry", "health", "isvc/chat", "-n", "default")
		assert.Contains(t, health, "Clusters: 2 of 2 healthy\n")
		assert.NotContains(t, health, "Degraded")
	})
}
