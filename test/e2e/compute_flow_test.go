package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/syncer"
	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

// computeFlow is the platform owner's walkthrough end to end: a real GPU cluster, Gantry, and gantry-syncer run
// with the credential `kubectl gantry sync` produced.
type computeFlow struct {
	s        *harness.Server
	kc       *kubecluster.Cluster
	downCS   kubernetes.Interface
	compute  *harness.Kubectl
	team     *harness.Kubectl
	syncer   *harness.Process
	teamNS   string // the downstream namespace of the team's default namespace
	manifest string
	// computePath is the compute workspace; syncerToken the credential `kubectl gantry sync` made for gpu's syncer.
	computePath, syncerToken string
}

// setupComputeFlow offers the cluster's Deployments and Services from root:compute, registers the cluster as gpu,
// applies the rendered manifests downstream, runs the syncer with their kubeconfig, and places team-a's namespaces
// on gpu.
func setupComputeFlow(t *testing.T) *computeFlow {
	f := &computeFlow{kc: kubecluster.Start(t)}
	f.kc.AddGPUNode(t, "gpu-0", h100, 4)
	f.downCS = kubernetes.NewForConfigOrDie(f.kc.RESTConfig())
	f.s = harness.Start(t, "--synctarget-lease=5s")
	computePath, _ := f.s.CreateWorkspace(t, "root", "compute")
	owner := f.s.UserShell(t, computePath, "")
	_, progress, err := owner.Run("gantry", "import-apis", "--from-kubeconfig", f.kc.Kubeconfig(), "deployments.apps", "services")
	require.NoError(t, err, progress)
	f.manifest = filepath.Join(t.TempDir(), "gpu-syncer.yaml")
	_, progress, err = owner.Run("gantry", "sync", "gpu", "--supported-api-export", computePath+":kubernetes",
		"--label", "region=eu", "-o", f.manifest)
	require.NoError(t, err, progress)
	manifests, err := os.ReadFile(f.manifest)
	require.NoError(t, err)
	out, err := runKubectl(f.kc.Kubeconfig(), string(manifests), "apply", "-f", "-")
	require.NoError(t, err, "the rendered manifests apply to a real cluster: %s", out)

	f.computePath = computePath
	syncerConfig := syncerKubeconfig(t, string(manifests))
	f.syncerToken = syncerToken(t, syncerConfig)
	f.syncer = harness.StartProcess(t, harness.SyncerBinary(t), "--from-kubeconfig", syncerConfig,
		"--to-kubeconfig", f.kc.Kubeconfig(), "--sync-target", computePath+"/gpu", "--heartbeat-period", "1s", "-v", "2",
		// Fixed ports (:8080) may be taken on a shared machine; this test reads neither.
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0",
		// Renewed all along, restarts included, into the Secret the rendered manifests created downstream.
		"--token-renew-after", "3s", "--token-secret", "gantry-syncer/gantry-syncer-gpu")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gantry-syncer log:\n%s", f.syncer.Logs())
		}
	})
	f.compute = f.s.Kubectl(computePath)
	f.compute.MustRun(t, "wait", "--for=condition=Ready", "synctarget/gpu", "--timeout=60s")

	f.team, f.teamNS = f.addTeam(t, "team-a", true)
	return f
}

// addTeam creates a team workspace binding the compute workspace's export kubernetes and, when placed, a Placement
// of all its namespaces on gpu; it returns the team's kubectl and the downstream namespace of its default namespace.
func (f *computeFlow) addTeam(t *testing.T, name string, placed bool) (*harness.Kubectl, string) {
	path, cluster := f.s.CreateWorkspace(t, "root", name)
	team := f.s.Kubectl(path)
	team.WithStdin(strings.ReplaceAll(bindingYAML("kubernetes", f.computePath), "name: widgets", "name: kubernetes")).MustRun(t, "create", "-f", "-")
	team.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/kubernetes", "--timeout=30s")
	if placed {
		team.WithStdin("apiVersion: compute.gantry.dev/v1alpha1\nkind: Placement\nmetadata: {name: eu}\nspec: {locationWorkspace: \""+
			f.computePath+"\", locationSelector: {matchLabels: {region: eu}}}\n").MustRun(t, "create", "-f", "-")
		team.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "placement/eu", "--timeout=30s")
	}
	return team, syncer.DownstreamNamespace(string(logicalcluster.Name(cluster)), "default")
}

// runKubectl runs kubectl with a kubeconfig and stdin, returning its combined output.
func runKubectl(kubeconfig, stdin string, args ...string) (string, error) {
	cmd := exec.Command(harness.KubectlPath(), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// downReplicas returns the downstream Deployment's spec.replicas, or -1 when it does not exist.
func (f *computeFlow) downReplicas(name string) int32 {
	d, err := f.downCS.AppsV1().Deployments(f.teamNS).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil || d.Spec.Replicas == nil {
		return -1
	}
	return *d.Spec.Replicas
}

// TestComputeFlow: a cluster registered with `kubectl gantry sync` runs a team's GPU Deployment, bound from the
// compute workspace's export: it becomes Available downstream and its status reaches the team; one asking for more
// GPUs than exist shows the scheduler's reason; the target's GPUs follow; the heartbeat lapses while the syncer
// is down; restarts of the downstream API server and of Gantry lose nothing. Bound Services of two teams run apart.
func TestComputeFlow(t *testing.T) {
	f := setupComputeFlow(t)
	f.team.WithStdin(gpuDeployment).MustRun(t, "apply", "-f", "-")
	eventually(t, "llm created downstream", func() bool { return f.downReplicas("llm") == 2 })
	f.team.MustRun(t, "wait", "--for=condition=Available", "deployment/llm", "-n", "default", "--timeout=90s")
	eventually(t, "the team sees both replicas available", func() bool {
		return f.team.MustRun(t, "get", "deploy", "llm", "-n", "default", "-o", "jsonpath={.status.availableReplicas}") == "2"
	})
	eventually(t, "the target's GPUs: 2 of 4 requested", func() bool {
		return f.compute.MustRun(t, "get", "synctarget", "gpu", "-o", "jsonpath={.status.gpus[0].allocatable}/{.status.gpus[0].requested}") == "4/2"
	})

	t.Run("a Deployment asking for more GPUs than exist shows the scheduler's reason", func(t *testing.T) {
		huge := strings.NewReplacer("name: llm", "name: huge", "app: llm", "app: huge", "nvidia.com/gpu: 1", "nvidia.com/gpu: 8",
			"replicas: 2", "replicas: 1").Replace(gpuDeployment)
		f.team.WithStdin(huge).MustRun(t, "apply", "-f", "-")
		ok := assert.Eventually(t, func() bool {
			msg := f.team.MustRun(t, "get", "deploy", "huge", "-n", "default", "-o",
				`jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}`)
			return strings.Contains(msg, "Insufficient nvidia.com/gpu")
		}, 60*time.Second, 200*time.Millisecond, "PodScheduled=False upstream")
		if !ok && os.Getenv("FLOW_DEBUG") != "" {
			t.Log(f.team.MustRun(t, "get", "deploy", "huge", "-n", "default", "-o", "yaml"))
			out, _ := runKubectl(f.kc.Kubeconfig(), "", "get", "deploy,rs,pods", "-A", "-o", "wide")
			t.Log(out)
			out, _ = runKubectl(f.kc.Kubeconfig(), "", "get", "pods", "-n", f.teamNS, "-o", "yaml")
			t.Log(out)
			t.FailNow()
		}
	})

	t.Run("two teams' same-named Services run apart on the cluster", func(t *testing.T) { testComputeFlowServices(t, f) })

	t.Run("the heartbeat lapses while the syncer is down and returns with it", func(t *testing.T) {
		f.syncer.Stop(syscall.SIGKILL)
		f.compute.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=HeartbeatMissed", "synctarget/gpu", "--timeout=60s")
		f.team.MustRun(t, "scale", "deploy", "llm", "-n", "default", "--replicas=1")
		f.syncer.Start()
		f.compute.MustRun(t, "wait", "--for=condition=Ready", "synctarget/gpu", "--timeout=60s")
		eventually(t, "the change made while it was down reaches the cluster", func() bool { return f.downReplicas("llm") == 1 })
	})

	t.Run("a restart of the downstream API server loses nothing", func(t *testing.T) {
		f.kc.StopAPIServer()
		f.team.MustRun(t, "scale", "deploy", "llm", "-n", "default", "--replicas=3")
		f.kc.RestartAPIServer(t)
		eventually(t, "3 replicas downstream", func() bool { return f.downReplicas("llm") == 3 })
		eventually(t, "3 available upstream", func() bool {
			return f.team.MustRun(t, "get", "deploy", "llm", "-n", "default", "-o", "jsonpath={.status.availableReplicas}") == "3"
		})
	})

	t.Run("a restart of Gantry loses nothing", func(t *testing.T) {
		f.s.Stop(syscall.SIGKILL) // a crash, the harder case
		_, err := f.downCS.AppsV1().Deployments(f.teamNS).Patch(context.Background(), "llm", "application/merge-patch+json",
			[]byte(`{"spec":{"replicas":4}}`), metav1.PatchOptions{})
		require.NoError(t, err)
		eventually(t, "drift reverted while Gantry is down, from the syncer's cache", func() bool { return f.downReplicas("llm") == 3 })
		f.s.Restart()
		f.team.MustRun(t, "delete", "deploy", "huge", "-n", "default", "--wait=false")
		eventually(t, "huge removed downstream", func() bool { return f.downReplicas("huge") == -1 })
		eventually(t, "and upstream, its finalizer released", func() bool {
			out, _, _ := f.team.Run("get", "deploy", "huge", "-n", "default", "--ignore-not-found", "-o", "name")
			return strings.TrimSpace(out) == ""
		})
		f.compute.MustRun(t, "wait", "--for=condition=Ready", "synctarget/gpu", "--timeout=60s")
		assert.Equal(t, "3", f.team.MustRun(t, "get", "deploy", "llm", "-n", "default", "-o", "jsonpath={.spec.replicas}"))
	})

	t.Run("the syncer renews its token through the restarts, and the new one is as narrow as the first", func(t *testing.T) {
		first := syncerToken(t, f.manifestKubeconfig(t))
		secretToken := func() string {
			secret, err := f.downCS.CoreV1().Secrets("gantry-syncer").Get(context.Background(), "gantry-syncer-gpu", metav1.GetOptions{})
			require.NoError(t, err)
			path := filepath.Join(t.TempDir(), "renewed.kubeconfig")
			require.NoError(t, os.WriteFile(path, secret.Data["kubeconfig"], 0o600))
			return path
		}
		before := syncerToken(t, secretToken())
		assert.NotEqual(t, first, before, "renewed and written downstream")
		var renewed string
		eventually(t, "renewed again after the restarts", func() bool {
			renewed = secretToken()
			return syncerToken(t, renewed) != before
		})
		f.team.MustRun(t, "scale", "deploy", "llm", "-n", "default", "--replicas=2")
		eventually(t, "the syncer keeps syncing with renewed tokens", func() bool { return f.downReplicas("llm") == 2 })
		assertOnlySyncs(t, f.s, renewed, f.computePath, "gpu", "apis/apps/v1/deployments")
	})
}

// manifestKubeconfig writes the kubeconfig `kubectl gantry sync` rendered, with the first token, to a file.
func (f *computeFlow) manifestKubeconfig(t *testing.T) string {
	manifests, err := os.ReadFile(f.manifest)
	require.NoError(t, err)
	return syncerKubeconfig(t, string(manifests))
}

// syncerToken is the token of the one user of a kubeconfig file.
func syncerToken(t *testing.T, kubeconfig string) string {
	kc, err := clientcmd.LoadFromFile(kubeconfig)
	require.NoError(t, err)
	for _, auth := range kc.AuthInfos {
		return auth.Token
	}
	t.Fatalf("no user in %s", kubeconfig)
	return ""
}
