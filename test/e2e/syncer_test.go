package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/pkg/syncer"
	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

// syncerRole is all the syncer's ServiceAccount gets: the verb sync on its SyncTarget gpu, which also lets it read
// that target and write its status (the heartbeat).
const syncerRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: syncer-gpu}
rules:
- {apiGroups: [compute.gantry.dev], resources: [synctargets], resourceNames: [gpu], verbs: [sync]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: syncer-gpu}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: syncer-gpu}
subjects:
- {kind: ServiceAccount, namespace: default, name: syncer}
`

const h100 = "NVIDIA-H100-80GB-HBM3"

// syncerFixture is Gantry with two teams binding the widgets export, a downstream cluster, and a gantry-syncer
// process for the SyncTarget gpu between them.
type syncerFixture struct {
	s              *harness.Server
	kc             *kubecluster.Cluster
	compute        *harness.Kubectl
	computeCluster string
	teams          map[string]*harness.Kubectl // by logical cluster
	clusterA       string
	clusterB       string
	label          string
	down           dynamic.Interface
	downCS         kubernetes.Interface
	syncer         *harness.Process
	fromKubeconfig string // the syncer ServiceAccount's
	metricsAddr    string
	probeAddr      string
}

// placedWidget is a widget in default carrying the state label with value Sync.
func placedWidget(name string, size int, label string) string {
	return fmt.Sprintf("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: %s, namespace: default, labels: {%s: Sync}}\nspec: {size: %d}\n", name, label, size)
}

func setupSyncer(t *testing.T) *syncerFixture {
	f := &syncerFixture{s: harness.Start(t), teams: map[string]*harness.Kubectl{}}
	providerPath, _ := f.s.CreateWorkspace(t, "root", "provider")
	provider := f.s.Kubectl(providerPath)
	provider.WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).MustRun(t, "create", "-f", "-")
	provider.MustRun(t, "wait", "--for=condition=IdentityValid", "apiexport/widgets", "--timeout=30s")
	computePath, computeCluster := f.s.CreateWorkspace(t, "root", "compute")
	f.computeCluster = computeCluster
	f.compute = f.s.Kubectl(computePath)
	f.compute.WithStdin(syncTargets+"---\n"+syncerRole).MustRun(t, "create", "-f", "-")
	f.compute.MustRun(t, "create", "serviceaccount", "syncer")
	token := strings.TrimSpace(f.compute.MustRun(t, "create", "token", "syncer", "--duration=2h"))
	f.label = computev1alpha1.StateLabel(computeCluster, "gpu")
	for i, name := range []string{"team-a", "team-b"} {
		path, cluster := f.s.CreateWorkspace(t, "root", name)
		k := f.s.Kubectl(path)
		k.WithStdin(bindingYAML("widgets", providerPath)).MustRun(t, "create", "-f", "-")
		k.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
		k.WithStdin(widget("w1", fmt.Sprintf("{size: %d}", i+1))).MustRun(t, "create", "-f", "-")
		// The admin (system:masters may write state labels) places w1 directly, so that these checks do not depend on
		// the placement controller's choices; testSyncerPlacement covers that path.
		k.MustRun(t, "label", "widget", "w1", "-n", "default", f.label+"="+computev1alpha1.ResourceStateSync)
		f.teams[cluster] = k
		if i == 0 {
			f.clusterA = cluster
		} else {
			f.clusterB = cluster
		}
	}

	f.kc = kubecluster.Start(t)
	f.kc.AddGPUNode(t, "gpu-0", h100, 8)
	f.down = dynamic.NewForConfigOrDie(f.kc.RESTConfig())
	f.downCS = kubernetes.NewForConfigOrDie(f.kc.RESTConfig())

	f.fromKubeconfig = f.s.KubeconfigAs(t, computePath, token)
	f.metricsAddr = fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	f.probeAddr = fmt.Sprintf("127.0.0.1:%d", harness.FreePort(t))
	f.syncer = harness.StartProcess(t, harness.SyncerBinary(t),
		"--from-kubeconfig", f.fromKubeconfig,
		"--to-kubeconfig", f.kc.Kubeconfig(),
		"--sync-target", computePath+"/gpu",
		"--heartbeat-period", "2s",
		"--metrics-bind-address", f.metricsAddr,
		"--health-probe-bind-address", f.probeAddr,
		"-v", "2")
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("SYNCER_LOG") != "" {
			t.Logf("gantry-syncer log:\n%s", f.syncer.Logs())
		}
	})
	return f
}

// downstreamCRDEstablished reports whether the syncer installed the widgets CRD downstream, labeled for its target,
// and the downstream API server established it.
func (f *syncerFixture) downstreamCRDEstablished(t *testing.T) bool {
	crd, err := apiextensionsclient.NewForConfigOrDie(f.kc.RESTConfig()).ApiextensionsV1().CustomResourceDefinitions().
		Get(context.Background(), "widgets.example.com", metav1.GetOptions{})
	if err != nil {
		return false
	}
	require.Equal(t, computev1alpha1.TargetKey(f.computeCluster, "gpu"), crd.Labels[syncer.SyncTargetLabel])
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}

// downWidgets lists the downstream widgets the syncer owns, as "<upstream cluster>/<name>=<size>" from their
// upstream locators, sorted.
func (f *syncerFixture) downWidgets(t *testing.T) []string {
	list, err := f.down.Resource(widgetsGVR).List(context.Background(), metav1.ListOptions{LabelSelector: syncer.SyncTargetLabel})
	require.NoError(t, err)
	out := []string{}
	for _, w := range list.Items {
		loc, err := syncer.ParseObjectLocator(w.GetAnnotations()[syncer.UpstreamAnnotation])
		require.NoError(t, err)
		require.Equal(t, syncer.DownstreamNamespace(loc.Cluster, loc.Namespace), w.GetNamespace())
		size, _, _ := unstructuredInt(w.Object, "spec", "size")
		out = append(out, fmt.Sprintf("%s/%s=%d", loc.Cluster, loc.Name, size))
	}
	sort.Strings(out)
	return out
}

// eventually waits (generously: the machine may be busy) until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 60*time.Second, 200*time.Millisecond, what)
}

// TestSyncer runs gantry-syncer as a process between Gantry and a real Kubernetes cluster: placed widgets of two
// teams land in two namespaces, spec goes down, drift and deletion downstream are repaired, status comes up,
// deletion and state Delete remove the copy before releasing the object, the GPUs are reported, a syncer killed
// while objects change ends, once restarted, with downstream equal to upstream, and a Placement's objects run.
func TestSyncer(t *testing.T) {
	f := setupSyncer(t)
	nsA, nsB := syncer.DownstreamNamespace(f.clusterA, "default"), syncer.DownstreamNamespace(f.clusterB, "default")
	require.NotEqual(t, nsA, nsB)
	eventually(t, "the widgets CRD installed downstream from the virtual workspace", func() bool { return f.downstreamCRDEstablished(t) })
	eventually(t, "both teams' w1 downstream", func() bool {
		return equalStrings(f.downWidgets(t), sorted(f.clusterA+"/w1=1", f.clusterB+"/w1=2"))
	})
	for cluster, ns := range map[string]string{f.clusterA: nsA, f.clusterB: nsB} {
		got, err := f.downCS.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{})
		require.NoError(t, err)
		loc, err := syncer.ParseNamespaceLocator(got.Annotations[syncer.NamespaceLocatorAnnotation])
		require.NoError(t, err)
		require.Equal(t, syncer.NamespaceLocator{Cluster: cluster, Namespace: "default",
			SyncTarget: syncer.TargetReference{Path: "root:compute", Name: "gpu"}}, loc)
		fins := f.teams[cluster].MustRun(t, "get", "widget", "w1", "-n", "default", "-o", "jsonpath={.metadata.finalizers}")
		require.Contains(t, fins, computev1alpha1.SyncerFinalizer(f.computeCluster, "gpu"))
	}
	a := f.teams[f.clusterA]
	t.Run("spec goes down, drift and deletion are repaired", func(t *testing.T) {
		a.MustRun(t, "patch", "widget", "w1", "-n", "default", "--type=merge", "-p", `{"spec":{"size":5}}`)
		eventually(t, "size 5 downstream", func() bool { return f.downSize(nsA, "w1") == 5 })
		_, err := f.down.Resource(widgetsGVR).Namespace(nsA).Patch(context.Background(), "w1", types.MergePatchType,
			[]byte(`{"spec":{"size":42}}`), metav1.PatchOptions{})
		require.NoError(t, err)
		eventually(t, "drift reverted", func() bool { return f.downSize(nsA, "w1") == 5 })
		require.NoError(t, f.down.Resource(widgetsGVR).Namespace(nsA).Delete(context.Background(), "w1", metav1.DeleteOptions{}))
		eventually(t, "deleted copy recreated", func() bool { return f.downSize(nsA, "w1") == 5 })
		before, err := f.downCS.CoreV1().Namespaces().Get(context.Background(), nsA, metav1.GetOptions{})
		require.NoError(t, err)
		require.NoError(t, f.downCS.CoreV1().Namespaces().Delete(context.Background(), nsA, metav1.DeleteOptions{}))
		eventually(t, "namespace deleted by hand is recreated, with the copy", func() bool {
			ns, err := f.downCS.CoreV1().Namespaces().Get(context.Background(), nsA, metav1.GetOptions{})
			return err == nil && ns.UID != before.UID && ns.DeletionTimestamp == nil && f.downSize(nsA, "w1") == 5
		})
	})
	t.Run("a built-in resource (a ConfigMap) is synced too", func(t *testing.T) {
		a.MustRun(t, "create", "configmap", "cfg", "-n", "default", "--from-literal=model=llama")
		a.MustRun(t, "label", "configmap", "cfg", "-n", "default", f.label+"="+computev1alpha1.ResourceStateSync)
		eventually(t, "cfg downstream", func() bool {
			cm, err := f.downCS.CoreV1().ConfigMaps(nsA).Get(context.Background(), "cfg", metav1.GetOptions{})
			return err == nil && cm.Data["model"] == "llama"
		})
		a.MustRun(t, "delete", "configmap", "cfg", "-n", "default", "--timeout=60s")
		eventually(t, "cfg gone downstream", func() bool {
			_, err := f.downCS.CoreV1().ConfigMaps(nsA).Get(context.Background(), "cfg", metav1.GetOptions{})
			return apierrors.IsNotFound(err)
		})
	})
	t.Run("status comes up", func(t *testing.T) {
		_, err := f.down.Resource(widgetsGVR).Namespace(nsA).Patch(context.Background(), "w1", types.MergePatchType,
			[]byte(`{"status":{"phase":"Running"}}`), metav1.PatchOptions{}, "status")
		require.NoError(t, err)
		eventually(t, "status upstream", func() bool {
			out, _, _ := a.Run("get", "widget", "w1", "-n", "default", "-o", "jsonpath={.status.phase}")
			return out == "Running"
		})
	})
	t.Run("the SyncTarget reports the GPUs", func(t *testing.T) { testSyncerFuel(t, f) })
	t.Run("deletion and state Delete remove the copy first", func(t *testing.T) { testSyncerLeave(t, f, nsA, nsB) })
	t.Run("a syncer killed and restarted converges", func(t *testing.T) { testSyncerRestart(t, f) })
	t.Run("a syncer killed while 200 objects change converges exactly", func(t *testing.T) { testSyncerChurn(t, f) })
	t.Run("a Placement's objects run downstream and leave when unselected", func(t *testing.T) { testSyncerPlacement(t, f) })
	t.Run("an object the downstream cluster refuses holds up no other", func(t *testing.T) { testSyncerRefused(t, f) })
	t.Run("metrics and probes are served", func(t *testing.T) {
		for _, probe := range []string{"/healthz", "/readyz"} {
			resp, err := http.Get("http://" + f.probeAddr + probe)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, probe)
		}
		resp, err := http.Get("http://" + f.metricsAddr + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Contains(t, string(body), `workqueue_adds_total{name="gantry_syncer"}`)
	})
	t.Run("a SyncTarget spec change is re-discovered", func(t *testing.T) {
		synced := func() string {
			out, _, _ := f.compute.Run("get", "synctarget", "gpu", "-o", "jsonpath={.status.syncedResources[*].resource}")
			return out
		}
		require.Contains(t, synced(), "secrets")
		f.compute.MustRun(t, "patch", "synctarget", "gpu", "--type=merge", "-p", `{"spec":{"builtinResources":["configmaps"]}}`)
		eventually(t, "secrets no longer synced", func() bool {
			out := synced()
			return strings.Contains(out, "widgets") && strings.Contains(out, "configmaps") && !strings.Contains(out, "secrets")
		})
	})
	t.Run("a syncer of a missing SyncTarget exits with a clear error", func(t *testing.T) {
		p := harness.StartProcess(t, harness.SyncerBinary(t), "--from-kubeconfig", f.fromKubeconfig,
			"--to-kubeconfig", f.kc.Kubeconfig(), "--sync-target", "root:compute/missing",
			"--metrics-bind-address", "0", "--health-probe-bind-address", "0")
		eventually(t, "exited", p.Exited)
		require.NotEqual(t, 0, p.ExitCode())
		require.Regexp(t, `SyncTarget \\?"missing\\?" (does not exist in workspace root:compute|in workspace root:compute is missing or cannot be read)`, p.Logs())
	})
}

// testSyncerFuel checks status.gpus against the node, and requested following a GPU pod.
func testSyncerFuel(t *testing.T, f *syncerFixture) {
	gpus := func() []computev1alpha1.GPUUsage {
		out, _, err := f.compute.Run("get", "synctarget", "gpu", "-o", "json")
		if err != nil {
			return nil
		}
		var st computev1alpha1.SyncTarget
		if json.Unmarshal([]byte(out), &st) != nil || st.Status.LastHeartbeatTime == nil || len(st.Status.SyncedResources) == 0 {
			return nil
		}
		return st.Status.GPUs
	}
	eventually(t, "gpus reported", func() bool {
		g := gpus()
		return len(g) == 1 && g[0] == computev1alpha1.GPUUsage{Product: h100, Capacity: 8, Allocatable: 8}
	})
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "train", Namespace: "default"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "train", Image: "trainer",
			Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{"nvidia.com/gpu": resource.MustParse("3")}}}}}}
	_, err := f.downCS.CoreV1().Pods("default").Create(context.Background(), pod, metav1.CreateOptions{})
	require.NoError(t, err)
	eventually(t, "3 GPUs requested", func() bool { g := gpus(); return len(g) == 1 && g[0].Requested == 3 })
	require.NoError(t, f.downCS.CoreV1().Pods("default").Delete(context.Background(), "train", *metav1.NewDeleteOptions(0)))
	eventually(t, "none requested once the pod is gone", func() bool { g := gpus(); return len(g) == 1 && g[0].Requested == 0 })
}

// testSyncerLeave deletes team-b's w1 (the copy goes, then the finalizer, then the object and the namespace) and
// sets team-a's w1 to state Delete (the copy goes, then the finalizer and the label).
func testSyncerLeave(t *testing.T, f *syncerFixture, nsA, nsB string) {
	b := f.teams[f.clusterB]
	b.MustRun(t, "delete", "widget", "w1", "-n", "default", "--wait=false")
	eventually(t, "team-b's w1 gone upstream", func() bool {
		_, errOut, err := b.Run("get", "widget", "w1", "-n", "default")
		return err != nil && strings.Contains(errOut, "NotFound")
	})
	require.Equal(t, 0, f.downSize(nsB, "w1"), "the copy went before the object")
	eventually(t, "team-b's empty namespace removed", func() bool {
		_, err := f.downCS.CoreV1().Namespaces().Get(context.Background(), nsB, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})

	a := f.teams[f.clusterA]
	a.MustRun(t, "label", "widget", "w1", "-n", "default", "--overwrite", f.label+"="+computev1alpha1.ResourceStateDelete)
	eventually(t, "finalizer removed", func() bool { return f.released(t, a, "w1") })
	require.Equal(t, 0, f.downSize(nsA, "w1"), "the copy went before the label")
	require.Empty(t, f.downWidgets(t))
}

// testSyncerRestart kills the syncer, changes, creates and deletes placed widgets (one of them forcibly, leaving
// an orphan copy), restarts it and waits until downstream equals upstream.
func testSyncerRestart(t *testing.T, f *syncerFixture) {
	a, b := f.teams[f.clusterA], f.teams[f.clusterB]
	a.WithStdin(placedWidget("w2", 2, f.label)+"---\n"+placedWidget("w3", 3, f.label)+"---\n"+placedWidget("w6", 6, f.label)).MustRun(t, "create", "-f", "-")
	eventually(t, "w2, w3 and w6 downstream", func() bool {
		return equalStrings(f.downWidgets(t), sorted(f.clusterA+"/w2=2", f.clusterA+"/w3=3", f.clusterA+"/w6=6"))
	})
	f.syncer.Stop(syscall.SIGKILL)
	a.MustRun(t, "patch", "widget", "w2", "-n", "default", "--type=merge", "-p", `{"spec":{"size":7}}`)
	a.MustRun(t, "delete", "widget", "w3", "-n", "default", "--wait=false")
	// Forcibly released: the object goes while its copy stays behind, an orphan the restarted syncer must find.
	a.MustRun(t, "patch", "widget", "w3", "-n", "default", "--type=merge", "-p", `{"metadata":{"finalizers":null}}`)
	a.MustRun(t, "label", "widget", "w6", "-n", "default", "--overwrite", f.label+"="+computev1alpha1.ResourceStateDelete)
	a.WithStdin(placedWidget("w4", 4, f.label)).MustRun(t, "create", "-f", "-")
	b.WithStdin(placedWidget("w5", 5, f.label)).MustRun(t, "create", "-f", "-")
	f.syncer.Start()
	eventually(t, "downstream equals upstream", func() bool {
		return equalStrings(f.downWidgets(t), sorted(f.clusterA+"/w2=7", f.clusterA+"/w4=4", f.clusterB+"/w5=5"))
	})
	eventually(t, "w6 released", func() bool { return f.released(t, a, "w6") })
}

// released reports whether a widget set to state Delete is released: our finalizer and the state label gone.
func (f *syncerFixture) released(t *testing.T, k *harness.Kubectl, name string) bool {
	out, _, err := k.Run("get", "widget", name, "-n", "default", "-o", "json")
	require.NoError(t, err)
	return !strings.Contains(out, computev1alpha1.SyncerFinalizerPrefix) && !strings.Contains(out, f.label)
}

// testSyncerPlacement lets the placement controller, not the admin, label: team-b's namespace ml is selected by a
// Placement (which chooses gpu, the Ready target), its widget runs downstream; once ml is no longer selected the
// label turns Delete and the syncer removes the copy, then the label.
func testSyncerPlacement(t *testing.T, f *syncerFixture) {
	b := f.teams[f.clusterB]
	b.MustRun(t, "create", "namespace", "ml")
	b.MustRun(t, "label", "namespace", "ml", "placed=yes")
	b.WithStdin(placementYAML("ml", "root:compute", "{}")).MustRun(t, "create", "-f", "-")
	b.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "placement/ml", "--timeout=60s")
	require.Equal(t, "gpu", b.MustRun(t, "get", "placement", "ml", "-o", "jsonpath={.status.selectedTarget.name}"))
	eventually(t, "ml placed on gpu", func() bool {
		out, _, _ := b.Run("get", "namespace", "ml", "-o", "jsonpath={.metadata.labels}")
		return strings.Contains(out, f.label)
	})
	b.WithStdin(strings.Replace(widget("pw", "{size: 11}"), "namespace: default", "namespace: ml", 1)).MustRun(t, "create", "-f", "-")
	ns := syncer.DownstreamNamespace(f.clusterB, "ml")
	eventually(t, "pw downstream", func() bool { return f.downSize(ns, "pw") == 11 })
	b.MustRun(t, "label", "namespace", "ml", "placed-")
	eventually(t, "pw removed downstream and released", func() bool {
		out, _, err := b.Run("get", "widget", "pw", "-n", "ml", "-o", "json")
		return err == nil && f.downSize(ns, "pw") == 0 && !strings.Contains(out, f.label) &&
			!strings.Contains(out, computev1alpha1.SyncerFinalizerPrefix)
	})
}

// refuseBad is a downstream ValidatingAdmissionPolicy, and its binding, that refuses widgets named bad.
const refuseBad = `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: refuse-bad}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - {apiGroups: [example.com], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [widgets]}
  validations:
  - {expression: "object.metadata.name != 'bad'", message: "no bad widgets here"}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: refuse-bad}
spec:
  policyName: refuse-bad
  validationActions: [Deny]
`

// testSyncerRefused places a widget the downstream cluster refuses next to one it accepts: the second is synced,
// and the first can still be deleted upstream.
func testSyncerRefused(t *testing.T, f *syncerFixture) {
	down := harness.KubectlPath()
	run := func(stdin string, args ...string) (string, error) {
		cmd := exec.Command(down, append([]string{"--kubeconfig", f.kc.Kubeconfig()}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(refuseBad, "apply", "-f", "-")
	require.NoError(t, err, out)
	eventually(t, "the policy refuses a bad widget downstream", func() bool {
		out, err := run(widget("bad", "{size: 1}"), "create", "--dry-run=server", "-f", "-")
		return err != nil && strings.Contains(out, "no bad widgets here")
	})
	a := f.teams[f.clusterA]
	a.WithStdin(placedWidget("bad", 1, f.label)+"---\n"+placedWidget("good", 8, f.label)).MustRun(t, "create", "-f", "-")
	eventually(t, "good synced", func() bool {
		return f.downSize(syncer.DownstreamNamespace(f.clusterA, "default"), "good") == 8
	})
	require.Equal(t, 0, f.downSize(syncer.DownstreamNamespace(f.clusterA, "default"), "bad"))
	require.Eventually(t, func() bool { return strings.Contains(f.syncer.Logs(), "no bad widgets here") }, 30*time.Second,
		200*time.Millisecond, "the refusal is logged")
	a.MustRun(t, "delete", "widget", "bad", "good", "-n", "default", "--timeout=60s")
	eventually(t, "good's copy gone", func() bool { return f.downSize(syncer.DownstreamNamespace(f.clusterA, "default"), "good") == 0 })
}

// downSize is the spec.size of a downstream widget, 0 when it does not exist.
func (f *syncerFixture) downSize(ns, name string) int {
	w, err := f.down.Resource(widgetsGVR).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return 0
	}
	size, _, _ := unstructuredInt(w.Object, "spec", "size")
	return int(size)
}

func unstructuredInt(obj map[string]interface{}, fields ...string) (int64, bool, error) {
	var cur interface{} = obj
	for _, f := range fields {
		m, ok := cur.(map[string]interface{})
		if !ok {
			return 0, false, nil
		}
		cur = m[f]
	}
	switch v := cur.(type) {
	case int64:
		return v, true, nil
	case float64:
		return int64(v), true, nil
	}
	return 0, false, nil
}

func sorted(s ...string) []string { sort.Strings(s); return s }

func equalStrings(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// testSyncerChurn kills the syncer (kill -9) while 200 placed widgets are being created, updates 50 and deletes
// 50 while it is down, restarts it, and checks that downstream then equals upstream exactly, and that the deleted
// ones are released.
func testSyncerChurn(t *testing.T, f *syncerFixture) {
	ctx := context.Background()
	_, dyn := f.s.Clients(t, "root:team-b")
	widgets := dyn.Resource(widgetsGVR).Namespace("default")
	const n = 200
	name := func(i int) string { return fmt.Sprintf("c%03d", i) }
	created := make(chan int, n)
	done := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(placedWidget(name(i), i%50+1, f.label)), &obj.Object); err != nil {
				done <- err
				return
			}
			if _, err := widgets.Create(ctx, obj, metav1.CreateOptions{}); err != nil {
				done <- err
				return
			}
			created <- i
		}
		done <- nil
	}()
	for i := 0; i < 20; i++ {
		<-created
	}
	f.syncer.Stop(syscall.SIGKILL)
	require.NoError(t, <-done)
	for i := 0; i < 50; i++ {
		_, err := widgets.Patch(ctx, name(i), types.MergePatchType, []byte(`{"spec":{"size":99}}`), metav1.PatchOptions{})
		require.NoError(t, err)
	}
	for i := n - 50; i < n; i++ {
		require.NoError(t, widgets.Delete(ctx, name(i), metav1.DeleteOptions{}))
	}
	f.syncer.Start()
	want := []string{}
	for i := 0; i < n-50; i++ {
		size := i%50 + 1
		if i < 50 {
			size = 99
		}
		want = append(want, fmt.Sprintf("%s/%s=%d", f.clusterB, name(i), size))
	}
	sort.Strings(want)
	churned := func() []string {
		out := []string{}
		for _, w := range f.downWidgets(t) {
			if strings.HasPrefix(w, f.clusterB+"/c") {
				out = append(out, w)
			}
		}
		return out
	}
	eventually(t, "downstream equals upstream after the churn", func() bool { return equalStrings(churned(), want) })
	eventually(t, "the deleted widgets released upstream", func() bool {
		list, err := widgets.List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		count := 0
		for _, w := range list.Items {
			if strings.HasPrefix(w.GetName(), "c") {
				count++
			}
		}
		return count == n-50
	})
}
