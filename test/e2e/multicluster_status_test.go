package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

// registerCluster registers a real cluster as the SyncTarget name with `kubectl gantry sync`, applies the rendered
// manifests downstream and runs gantry-syncer against it; it returns the syncer process once the target is Ready.
func registerCluster(t *testing.T, s *harness.Server, computePath string, kc *kubecluster.Cluster, name string) *harness.Process {
	owner := s.UserShell(t, computePath, "")
	manifest := filepath.Join(t.TempDir(), name+"-syncer.yaml")
	_, progress, err := owner.Run("gantry", "sync", name, "--supported-api-export", computePath+":kubernetes", "-o", manifest)
	require.NoError(t, err, progress)
	manifests, err := os.ReadFile(manifest)
	require.NoError(t, err)
	out, err := runKubectl(kc.Kubeconfig(), string(manifests), "apply", "-f", "-")
	require.NoError(t, err, out)
	p := harness.StartProcess(t, harness.SyncerBinary(t), "--from-kubeconfig", syncerKubeconfig(t, string(manifests)),
		"--to-kubeconfig", kc.Kubeconfig(), "--sync-target", computePath+"/"+name, "--heartbeat-period", "1s", "-v", "2",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gantry-syncer %s log:\n%s", name, p.Logs())
		}
	})
	s.Kubectl(computePath).MustRun(t, "wait", "--for=condition=Ready", "synctarget/"+name, "--timeout=60s")
	return p
}

// TestMultiClusterStatus: a Deployment placed on two real clusters runs in both with the identical spec; each
// syncer reports its cluster's view in its own annotation instead of fighting over status, and Gantry writes
// status as their aggregate (replicas summed, Available merged). A stopped syncer's last view stays, its counts
// summed but its Available Unknown (ClusterNotReady) once its target is not Ready. Another
// team's same-named Deployment, on one cluster, keeps its own directly written status.
func TestMultiClusterStatus(t *testing.T) {
	east, west := kubecluster.Start(t), kubecluster.Start(t)
	east.AddGPUNode(t, "gpu-0", h100, 4)
	west.AddGPUNode(t, "gpu-0", h100, 4)
	s := harness.Start(t, "--synctarget-lease=5s")
	computePath, computeCluster := s.CreateWorkspace(t, "root", "compute")
	owner := s.UserShell(t, computePath, "")
	_, progress, err := owner.Run("gantry", "import-apis", "--from-kubeconfig", east.Kubeconfig(), "deployments.apps")
	require.NoError(t, err, progress)
	registerCluster(t, s, computePath, east, "east")
	westSyncer := registerCluster(t, s, computePath, west, "west")
	eastLabel := computev1alpha1.StateLabel(computeCluster, "east")
	westLabel := computev1alpha1.StateLabel(computeCluster, "west")
	eastView := computev1alpha1.StatusAnnotation(computeCluster, "east")
	westView := computev1alpha1.StatusAnnotation(computeCluster, "west")

	f := &computeFlow{s: s, computePath: computePath}
	teamA, teamANS := f.addTeam(t, "team-a", false)
	teamB, teamBNS := f.addTeam(t, "team-b", false)
	require.NotEqual(t, teamANS, teamBNS)
	teamA.WithStdin(placedDeployment(2, eastLabel, westLabel)).MustRun(t, "apply", "-f", "-")
	teamB.WithStdin(placedDeployment(1, eastLabel)).MustRun(t, "apply", "-f", "-")

	eastCS := kubernetes.NewForConfigOrDie(east.RESTConfig())
	westCS := kubernetes.NewForConfigOrDie(west.RESTConfig())
	downSpec := func(cs kubernetes.Interface, ns string) string {
		d, err := cs.AppsV1().Deployments(ns).Get(context.Background(), "llm", metav1.GetOptions{})
		if err != nil {
			return ""
		}
		raw, _ := json.Marshal(d.Spec)
		return string(raw)
	}
	eventually(t, "llm runs in both clusters", func() bool { return downSpec(eastCS, teamANS) != "" && downSpec(westCS, teamANS) != "" })
	assert.Equal(t, downSpec(eastCS, teamANS), downSpec(westCS, teamANS), "the identical spec in both clusters")
	assert.Empty(t, downSpec(westCS, teamBNS), "team-b's Deployment is placed on east only")

	get := func(k *harness.Kubectl, path string) string {
		return k.MustRun(t, "get", "deploy", "llm", "-n", "default", "-o", "jsonpath="+path)
	}
	annotation := func(k *harness.Kubectl, key string) string {
		return get(k, "{.metadata.annotations."+strings.NewReplacer(".", `\.`, "/", `\/`).Replace(key)+"}")
	}
	viewReplicas := func(k *harness.Kubectl, key string) int {
		var v struct {
			AvailableReplicas int `json:"availableReplicas"`
		}
		if json.Unmarshal([]byte(annotation(k, key)), &v) != nil {
			return -1
		}
		return v.AvailableReplicas
	}
	eventually(t, "each syncer reports its view", func() bool {
		return viewReplicas(teamA, eastView) == 2 && viewReplicas(teamA, westView) == 2
	})
	eventually(t, "the status sums both clusters", func() bool {
		return get(teamA, "{.status.replicas}/{.status.availableReplicas}") == "4/4"
	})
	assert.Equal(t, "True", get(teamA, `{.status.conditions[?(@.type=="Available")].status}`))
	assert.Contains(t, get(teamA, `{.status.conditions[?(@.type=="Available")].message}`), "on all 2 clusters")

	t.Run("another team's same-named Deployment on one cluster keeps its own status", func(t *testing.T) {
		eventually(t, "team-b's status, written by east's syncer", func() bool { return get(teamB, "{.status.availableReplicas}") == "1" })
		assert.Equal(t, "1", get(teamB, "{.status.replicas}"))
		annotations := get(teamB, "{.metadata.annotations}")
		assert.NotContains(t, annotations, computev1alpha1.StatusAnnotationPrefix, "one target: no views")
		assert.Equal(t, "2", get(teamA, "{.spec.replicas}"), "team-a's object is untouched by team-b's")
	})

	t.Run("a target that leaves removes its copy and its view; the one left writes status directly again", func(t *testing.T) {
		teamA.MustRun(t, "label", "deploy", "llm", "-n", "default", westLabel+"=Delete", "--overwrite")
		eventually(t, "west's copy removed", func() bool { return downSpec(westCS, teamANS) == "" })
		eventually(t, "west's label and view gone, east's view gone", func() bool {
			annotations := get(teamA, "{.metadata.annotations}")
			return !strings.Contains(annotations, computev1alpha1.StatusAnnotationPrefix) && !strings.Contains(get(teamA, "{.metadata.labels}"), westLabel)
		})
		eventually(t, "the status is east's alone", func() bool { return get(teamA, "{.status.replicas}/{.status.availableReplicas}") == "2/2" })
		assert.NotContains(t, get(teamA, `{.status.conditions[?(@.type=="Available")].message}`), "clusters")

		teamA.MustRun(t, "label", "deploy", "llm", "-n", "default", westLabel+"=Sync")
		eventually(t, "placed on both again: the status sums both", func() bool {
			return viewReplicas(teamA, eastView) == 2 && viewReplicas(teamA, westView) == 2 &&
				get(teamA, "{.status.replicas}/{.status.availableReplicas}") == "4/4"
		})
	})

	t.Run("a stopped syncer's last view stays, not trusted, and the other's follows its cluster", func(t *testing.T) {
		westSyncer.Stop(syscall.SIGKILL)
		s.Kubectl(computePath).MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=HeartbeatMissed", "synctarget/west", "--timeout=60s")
		teamA.MustRun(t, "scale", "deploy", "llm", "-n", "default", "--replicas=3")
		eventually(t, "east runs 3", func() bool { return viewReplicas(teamA, eastView) == 3 })
		assert.Equal(t, 2, viewReplicas(teamA, westView), "west's view is its last report")
		eventually(t, "the status sums east's 3 and west's last 2", func() bool {
			return get(teamA, "{.status.availableReplicas}") == "5"
		})
		assert.Equal(t, "Unknown ClusterNotReady", get(teamA, "{.status.conditions[?(@.type=='Available')].status} {.status.conditions[?(@.type=='Available')].reason}"),
			"nobody vouches for west's last report: Available is Unknown, naming west")
		assert.Contains(t, get(teamA, "{.status.conditions[?(@.type=='Available')].message}"), "cluster west: SyncTarget west not Ready since ")
		d, err := westCS.AppsV1().Deployments(teamANS).Get(context.Background(), "llm", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, int32(2), *d.Spec.Replicas, "west is not synced while its syncer is down")
	})

}
