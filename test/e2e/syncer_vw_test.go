package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
	"github.com/gantry-dev/gantry/test/harness"
)

// syncTargets are the SyncTargets gpu and cpu of the compute workspace, both supporting the widgets export.
const syncTargets = `apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: gpu}
spec:
  supportedAPIExports: [{path: "root:provider", export: widgets}]
---
apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: cpu}
spec:
  supportedAPIExports: [{path: "root:provider", export: widgets}]
`

// syncGPU lets the ServiceAccount default:syncer sync the SyncTarget gpu, and nothing else.
const syncGPU = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: sync-gpu}
rules:
- {apiGroups: [compute.gantry.dev], resources: [synctargets], resourceNames: [gpu], verbs: [sync]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: sync-gpu}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: sync-gpu}
subjects:
- {kind: ServiceAccount, namespace: default, name: syncer}
`

// syncerVWFixture holds the server, the teams and the tokens that the checks of TestSyncerVirtualWorkspace share.
type syncerVWFixture struct {
	s                  *harness.Server
	base               string // the server's URL up to /services/
	teamA, teamB       string // paths
	clusterA, clusterB string
	admins             map[string]*harness.Kubectl // by team path
	syncer, nosync     *harness.Kubectl            // ServiceAccounts of the compute workspace
	computePath        string
	syncerToken        string
	label              string // placed on gpu
}

// setupSyncerVW creates the widgets export, team-a and team-b binding it with widgets placed (w1) and not placed
// (w2) on the compute workspace's SyncTarget gpu, and a syncer ServiceAccount that may sync gpu.
func setupSyncerVW(t *testing.T) *syncerVWFixture {
	s := harness.Start(t)
	f := &syncerVWFixture{s: s, base: strings.TrimSuffix(s.URL("root"), "/clusters/root"), admins: map[string]*harness.Kubectl{}}
	providerPath, _ := s.CreateWorkspace(t, "root", "provider")
	provider := s.Kubectl(providerPath)
	provider.WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).MustRun(t, "create", "-f", "-")
	provider.MustRun(t, "wait", "--for=condition=IdentityValid", "apiexport/widgets", "--timeout=30s")

	computePath, computeCluster := s.CreateWorkspace(t, "root", "compute")
	f.computePath = computePath
	compute := s.Kubectl(computePath)
	compute.WithStdin(syncTargets+"---\n"+syncGPU).MustRun(t, "create", "-f", "-")
	compute.MustRun(t, "create", "serviceaccount", "syncer")
	compute.MustRun(t, "create", "serviceaccount", "nosync")
	f.syncerToken = strings.TrimSpace(compute.MustRun(t, "create", "token", "syncer"))
	f.syncer = s.KubectlAs(t, computePath, f.syncerToken)
	f.nosync = s.KubectlAs(t, computePath, strings.TrimSpace(compute.MustRun(t, "create", "token", "nosync")))

	f.label = virtualworkspace.TargetLabel(logicalcluster.Name(computeCluster), "gpu")
	f.teamA, f.clusterA = s.CreateWorkspace(t, "root", "team-a")
	f.teamB, f.clusterB = s.CreateWorkspace(t, "root", "team-b")
	for i, team := range []string{f.teamA, f.teamB} {
		k := s.Kubectl(team)
		f.admins[team] = k
		k.WithStdin(bindingYAML("widgets", providerPath)).MustRun(t, "create", "-f", "-")
		k.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
		k.WithStdin(widget("w1", fmt.Sprintf("{size: %d}", i+1))+"---\n"+widget("w2", "{size: 9}")).MustRun(t, "create", "-f", "-")
		k.MustRun(t, "label", "widget", "w1", "-n", "default", f.label+"=Sync")
	}
	return f
}

// TestSyncerVirtualWorkspace: a syncer's ServiceAccount, allowed the verb sync on its SyncTarget, sees through
// the target's virtual workspace exactly the objects placed on the target, in every workspace, writes their
// status, and reaches nothing else.
func TestSyncerVirtualWorkspace(t *testing.T) {
	f := setupSyncerVW(t)
	gpu := f.base + "/services/syncer/root:compute/gpu"
	list := func(server string) []string {
		return strings.Fields(f.syncer.MustRun(t, "--server", server, "get", "widgets", "-A",
			"-o", `jsonpath={range .items[*]}{.metadata.annotations.gantry\.dev/cluster}/{.metadata.name}={.spec.size} {end}`))
	}
	assert.ElementsMatch(t, []string{f.clusterA + "/w1=1", f.clusterB + "/w1=2"}, list(gpu+"/clusters/*"), "placed widgets of both teams only")
	assert.Equal(t, []string{f.clusterB + "/w1=2"}, list(gpu+"/clusters/"+f.clusterB), "one team's")
	raw := f.syncer.MustRun(t, "get", "--raw", "/services/syncer/root:compute/gpu/clusters/*/apis/example.com/v1/widgets")
	assert.Contains(t, raw, `"name":"w1"`)
	assert.NotContains(t, raw, `"name":"w2"`)

	t.Run("the syncer writes the status of a placed object, and nothing it cannot see", func(t *testing.T) {
		inA := gpu + "/clusters/" + f.clusterA
		phase := f.syncer.MustRun(t, "--server", inA, "patch", "widget", "w1", "-n", "default", "--subresource=status",
			"--type=merge", "-p", `{"status":{"phase":"Synced"}}`, "-o", "jsonpath={.status.phase}")
		assert.Equal(t, "Synced", phase)
		assert.Equal(t, "Synced", f.admins[f.teamA].MustRun(t, "get", "widget", "w1", "-n", "default", "-o", "jsonpath={.status.phase}"))
		assert.Empty(t, f.admins[f.teamB].MustRun(t, "get", "widget", "w1", "-n", "default", "-o", "jsonpath={.status.phase}"))
		_, errOut, err := f.syncer.Run("--server", inA, "patch", "widget", "w2", "-n", "default", "--subresource=status",
			"--type=merge", "-p", `{"status":{"phase":"Synced"}}`)
		require.Error(t, err, "w2 is not placed on gpu")
		assert.Contains(t, errOut, "NotFound")
		_, _, err = f.syncer.Run("--server", inA, "delete", "widget", "w1", "-n", "default")
		assert.Error(t, err, "a syncer never deletes")
	})
	t.Run("another target, a missing one, or no sync verb: the same 403", func(t *testing.T) { testSyncerVWRefusals(t, f) })
	t.Run("the syncer's token reads nothing else", func(t *testing.T) { testSyncerTokenConfined(t, f) })
	t.Run("a watch sees an object once it is placed, and nothing unplaced", func(t *testing.T) { testSyncerVWWatch(t, f, gpu) })
	t.Run("the syncer reads the CRDs it serves, as it may install them", func(t *testing.T) { testSyncerVWCRDs(t, f, gpu) })
	t.Run("the syncer changes only its finalizer, annotations and label of an object", func(t *testing.T) { testSyncerVWWrites(t, f, gpu) })
	t.Run("the syncer sees placed ConfigMaps and Secrets of every workspace", func(t *testing.T) { testSyncerVWBuiltins(t, f, gpu) })
}

// testSyncerVWBuiltins places team-a's ConfigMap placed and team-b's Secret placed on gpu, next to unplaced ones
// and one placed on cpu: gpu's view lists, gets and watches the placed ones only, in every workspace and in each,
// refuses what the syncer may not change, and never creates or deletes.
func testSyncerVWBuiltins(t *testing.T, f *syncerVWFixture, gpu string) {
	cpuLabel := strings.Replace(f.label, strings.TrimPrefix(f.label, computev1alpha1.StateLabelPrefix), "0123456789abcdef0123", 1)
	a, b := f.admins[f.teamA], f.admins[f.teamB]
	a.MustRun(t, "create", "configmap", "placed", "-n", "default", "--from-literal=k=a")
	a.MustRun(t, "create", "configmap", "unplaced", "-n", "default", "--from-literal=k=a")
	a.MustRun(t, "label", "configmap", "placed", "-n", "default", f.label+"=Sync")
	b.MustRun(t, "create", "secret", "generic", "placed", "-n", "default", "--from-literal=k=b")
	b.MustRun(t, "create", "configmap", "on-cpu", "-n", "default", "--from-literal=k=b")
	b.MustRun(t, "label", "secret", "placed", "-n", "default", f.label+"=Sync")
	b.MustRun(t, "label", "configmap", "on-cpu", "-n", "default", cpuLabel+"=Sync")

	client := func(cluster string) kubernetes.Interface {
		cfg, err := f.s.RESTConfigAs(f.computePath, f.syncerToken)
		require.NoError(t, err)
		cfg.Host = gpu + "/clusters/" + cluster
		return kubernetes.NewForConfigOrDie(cfg)
	}
	ctx := context.Background()
	names := func(list []metav1.ObjectMeta) []string {
		var out []string
		for _, m := range list {
			out = append(out, m.Annotations[logicalcluster.AnnotationKey]+"/"+m.Namespace+"/"+m.Name)
		}
		return out
	}
	listed := f.syncer.MustRun(t, "--server", gpu+"/clusters/*", "get", "configmaps,secrets", "-A", "-o", "name")
	assert.Equal(t, []string{"configmap/placed", "secret/placed"}, strings.Fields(listed), "kubectl, through discovery")
	assert.Contains(t, f.syncer.MustRun(t, "--server", gpu+"/clusters/*", "get", "configmaps", "-A"), "placed", "kubectl's table")
	cms, err := client("*").CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	var metas []metav1.ObjectMeta
	for _, cm := range cms.Items {
		metas = append(metas, cm.ObjectMeta)
	}
	assert.Equal(t, []string{f.clusterA + "/default/placed"}, names(metas), "placed ConfigMaps of every workspace, and no others")
	secrets, err := client("*").CoreV1().Secrets("default").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, secrets.Items, 1)
	assert.Equal(t, "b", string(secrets.Items[0].Data["k"]))
	cms, err = client(f.clusterB).CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, cms.Items, "team-b has no ConfigMap placed on gpu")
	_, err = client(f.clusterA).CoreV1().ConfigMaps("default").Get(ctx, "unplaced", metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "unplaced: %v", err)
	_, err = client(f.clusterB).CoreV1().ConfigMaps("default").Get(ctx, "on-cpu", metav1.GetOptions{})
	assert.True(t, apierrors.IsNotFound(err), "placed on cpu: %v", err)
	w, err := client("*").CoreV1().Secrets("").Watch(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	ev := <-w.ResultChan()
	w.Stop()
	secret, ok := ev.Object.(*corev1.Secret)
	require.True(t, ok, "%v", ev.Object)
	assert.Equal(t, f.clusterB+"/placed", secret.Annotations[logicalcluster.AnnotationKey]+"/"+secret.Name)

	inA := client(f.clusterA).CoreV1().ConfigMaps("default")
	_, err = inA.Patch(ctx, "placed", types.MergePatchType, []byte(`{"data":{"k":"changed"}}`), metav1.PatchOptions{})
	assert.True(t, apierrors.IsForbidden(err), "data: %v", err)
	finalizer := computev1alpha1.SyncerFinalizerPrefix + strings.TrimPrefix(f.label, computev1alpha1.StateLabelPrefix)
	cm, err := inA.Patch(ctx, "placed", types.MergePatchType, []byte(`{"metadata":{"finalizers":["`+finalizer+`"]}}`), metav1.PatchOptions{})
	require.NoError(t, err, "its own finalizer")
	assert.Equal(t, []string{finalizer}, cm.Finalizers)
	_, errOut, err := f.syncer.Run("--server", gpu+"/clusters/"+f.clusterA, "patch", "configmap", "placed", "-n", "default",
		"-p", `{"metadata":{"annotations":{"status.workload.gantry.dev/`+strings.TrimPrefix(f.label, computev1alpha1.StateLabelPrefix)+`":"Synced"}}}`)
	require.NoError(t, err, "a strategic merge patch (kubectl's default) of its own annotation: %s", errOut)
	cm, err = inA.Get(ctx, "placed", metav1.GetOptions{})
	require.NoError(t, err)
	cm.Finalizers = nil
	_, err = inA.Update(ctx, cm, metav1.UpdateOptions{})
	require.NoError(t, err, "update: its own finalizer removed")
	_, err = inA.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "new", Labels: map[string]string{f.label: "Sync"}}}, metav1.CreateOptions{})
	assert.True(t, apierrors.IsForbidden(err), "create: %v", err)
	assert.True(t, apierrors.IsForbidden(inA.Delete(ctx, "placed", metav1.DeleteOptions{})), "delete")
	assert.Equal(t, "a", a.MustRun(t, "get", "configmap", "placed", "-n", "default", "-o", "jsonpath={.data.k}"))

	_, errOut, err = f.nosync.Run("get", "--raw", "/services/syncer/root:compute/gpu/clusters/*/api/v1/configmaps")
	require.Error(t, err)
	assert.Contains(t, errOut, `access to the virtual workspace is denied: it needs the verb "sync" on the synctargets object`)
	_, err = client("*").CoreV1().ServiceAccounts("").List(ctx, metav1.ListOptions{})
	assert.True(t, apierrors.IsForbidden(err), "serviceaccounts are not syncable: %v", err)
}

// testSyncerVWWrites patches team-a's w1 through gpu's view: its own finalizer and annotation are accepted; spec,
// a foreign finalizer, other labels and annotations are refused with a 403, and neither they nor the removal of its
// label while Sync are written; once the label is Delete,
// the syncer removes its finalizer and the label, and w1 leaves the view.
func testSyncerVWWrites(t *testing.T, f *syncerVWFixture, gpu string) {
	inA, admin := gpu+"/clusters/"+f.clusterA, f.admins[f.teamA]
	key := strings.TrimPrefix(f.label, computev1alpha1.StateLabelPrefix) // gpu's TargetKey
	finalizer := computev1alpha1.SyncerFinalizerPrefix + key
	patch := func(p string) (string, error) {
		_, errOut, err := f.syncer.Run("--server", inA, "patch", "widget", "w1", "-n", "default", "--type=merge", "-p", p)
		return errOut, err
	}
	for name, p := range map[string]string{
		"spec":                `{"spec":{"size":5}}`,
		"a foreign finalizer": `{"metadata":{"finalizers":["example.com/mine"]}}`,
		"another label":       `{"metadata":{"labels":{"app":"web"}}}`,
		"another annotation":  `{"metadata":{"annotations":{"note":"x"}}}`,
	} {
		errOut, err := patch(p)
		require.Error(t, err, name)
		assert.Contains(t, errOut, "Forbidden", name)
		assert.Contains(t, errOut, "a syncer may only add or remove its finalizer", name)
	}
	// Its label while Sync: refused, unless the StateLabels admission plugin (which runs first) already put it back.
	if errOut, err := patch(`{"metadata":{"labels":{"` + f.label + `":null}}}`); err != nil {
		assert.Contains(t, errOut, "a syncer may only add or remove its finalizer")
	}
	w1 := admin.MustRun(t, "get", "widget", "w1", "-n", "default", "-o", `jsonpath={.spec.size} {.metadata.finalizers} {.metadata.labels}`)
	assert.Equal(t, `1  {"`+f.label+`":"Sync"}`, w1, "nothing written")

	_, err := patch(`{"metadata":{"finalizers":["` + finalizer + `"],"annotations":{"status.workload.gantry.dev/` + key + `":"Synced"}}}`)
	require.NoError(t, err, "its own finalizer and annotation")
	assert.Equal(t, finalizer+" Synced", admin.MustRun(t, "get", "widget", "w1", "-n", "default", "-o",
		`jsonpath={.metadata.finalizers[0]} {.metadata.annotations.status\.workload\.gantry\.dev/`+key+`}`))

	admin.MustRun(t, "label", "--overwrite", "widget", "w1", "-n", "default", f.label+"=Delete")
	_, err = patch(`{"metadata":{"finalizers":null,"labels":{"` + f.label + `":null}}}`)
	require.NoError(t, err, "its finalizer and its label once Delete")
	assert.Equal(t, "", admin.MustRun(t, "get", "widget", "w1", "-n", "default", "-o", `jsonpath={.metadata.finalizers}{.metadata.labels}`))
	_, errOut, err := f.syncer.Run("--server", inA, "get", "widget", "w1", "-n", "default")
	require.Error(t, err, "w1 left the view")
	assert.Contains(t, errOut, "NotFound")
}

// testSyncerVWCRDs lists and gets the CRDs served to gpu: the widgets CRD, with its name and spec alone, and not
// team-a's own CRD (gadgetsCRD); a token without sync gets the same 403 as for any resource, and nothing may be written.
func testSyncerVWCRDs(t *testing.T, f *syncerVWFixture, gpu string) {
	f.admins[f.teamA].WithStdin(gadgetsCRD).MustRun(t, "create", "-f", "-")
	const crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
	all := strings.TrimPrefix(gpu, f.base) + "/clusters/*" + crds
	raw := f.syncer.MustRun(t, "get", "--raw", all)
	var list apiextensionsv1.CustomResourceDefinitionList
	require.NoError(t, json.Unmarshal([]byte(raw), &list), raw)
	require.Len(t, list.Items, 1, raw)
	crd := list.Items[0]
	assert.Equal(t, metav1.ObjectMeta{Name: "widgets.example.com"}, crd.ObjectMeta, "no UID, resource version or annotations")
	assert.Equal(t, "Widget", crd.Spec.Names.Kind)
	require.NotEmpty(t, crd.Spec.Versions)
	assert.NotNil(t, crd.Spec.Versions[0].Schema, "with its schema")
	assert.NotContains(t, raw, "gadgets", "team-a's own CRD is supported by no target")

	names := f.syncer.MustRun(t, "--server", gpu+"/clusters/"+f.clusterA, "get", "customresourcedefinitions", "-o", "name")
	assert.Equal(t, "customresourcedefinition.apiextensions.k8s.io/widgets.example.com", strings.TrimSpace(names), "team-a binds widgets; in discovery")
	assert.Contains(t, f.syncer.MustRun(t, "--server", gpu+"/clusters/*", "get", "crds"), "widgets.example.com", "kubectl's table")
	f.syncer.MustRun(t, "get", "--raw", all+"/widgets.example.com")
	_, errOut, err := f.syncer.Run("get", "--raw", all+"/gadgets.example.org")
	require.Error(t, err)
	assert.Contains(t, errOut, "NotFound")

	_, errOut, err = f.nosync.Run("get", "--raw", all)
	require.Error(t, err, "a token without sync")
	assert.Contains(t, errOut, `access to the virtual workspace is denied: it needs the verb "sync" on the synctargets object`)
	cfg, err := f.s.RESTConfigAs(f.computePath, f.syncerToken)
	require.NoError(t, err)
	cfg.Host = gpu + "/clusters/" + f.clusterA
	err = apiextensionsclient.NewForConfigOrDie(cfg).ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), "widgets.example.com", metav1.DeleteOptions{})
	assert.True(t, apierrors.IsForbidden(err), "read-only: %v", err)
}

// testSyncerVWWatch watches every placed widget through client-go while team-a's unplaced w2 changes and team-b's
// w2 is placed: only the latter arrives.
func testSyncerVWWatch(t *testing.T, f *syncerVWFixture, gpu string) {
	cfg, err := f.s.RESTConfigAs(f.computePath, f.syncerToken)
	require.NoError(t, err)
	cfg.Host = gpu + "/clusters/*"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := dynamic.NewForConfigOrDie(cfg).Resource(widgetsGVR).Watch(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	defer w.Stop()
	f.admins[f.teamA].MustRun(t, "annotate", "widget", "w2", "-n", "default", "changed=yes")
	f.admins[f.teamB].MustRun(t, "label", "widget", "w2", "-n", "default", f.label+"=Sync")
	var seen []string
	for ev := range w.ResultChan() {
		obj, ok := ev.Object.(*unstructured.Unstructured)
		require.True(t, ok, "event %s: %v", ev.Type, ev.Object)
		seen = append(seen, obj.GetAnnotations()[logicalcluster.AnnotationKey]+"/"+obj.GetName())
		if obj.GetAnnotations()[logicalcluster.AnnotationKey] == f.clusterB && obj.GetName() == "w2" {
			break
		}
	}
	assert.Contains(t, seen, f.clusterB+"/w2", "team-b's w2 arrives once placed")
	assert.NotContains(t, seen, f.clusterA+"/w2", "team-a's w2 is not placed")
}

// testSyncerVWRefusals checks that a target without sync, a missing target and a missing workspace are refused
// alike, and that a token without sync is refused its target.
func testSyncerVWRefusals(t *testing.T, f *syncerVWFixture) {
	const denied = `access to the virtual workspace is denied: it needs the verb "sync" on the synctargets object`
	widgets := func(path, name string) string {
		return "/services/syncer/" + path + "/" + name + "/clusters/*/apis/example.com/v1/widgets"
	}
	_, errOut, err := f.syncer.Run("get", "--raw", widgets("root:compute", "cpu"))
	require.Error(t, err, "no sync on cpu")
	assert.Contains(t, errOut, "Forbidden")
	assert.Contains(t, errOut, denied)
	_, errMissing, err := f.syncer.Run("get", "--raw", widgets("root:compute", "missing"))
	require.Error(t, err)
	assert.Equal(t, strings.ReplaceAll(errOut, "/cpu/", "/missing/"), errMissing, "a missing SyncTarget looks the same")
	_, errOut, err = f.nosync.Run("get", "--raw", widgets("root:compute", "gpu"))
	require.Error(t, err, "a token without sync")
	assert.Contains(t, errOut, denied)
}

// testSyncerTokenConfined checks that the syncer's token is refused on the teams' own paths (401: it is not a
// credential there at all) and on what its compute workspace holds besides the virtual workspace (403).
func testSyncerTokenConfined(t *testing.T, f *syncerVWFixture) {
	for _, team := range []string{f.teamA, f.teamB} {
		for _, args := range [][]string{
			{"get", "--raw", "/clusters/" + team + "/apis/example.com/v1/namespaces/default/widgets"},
			{"get", "--raw", "/clusters/" + team + "/api/v1/namespaces/default/configmaps"},
		} {
			_, errOut, err := f.syncer.Run(args...)
			require.Error(t, err, "%v", args)
			assert.Contains(t, errOut, "Unauthorized", "a ServiceAccount token is valid in its own workspace only: %v", args)
		}
	}
	for _, args := range [][]string{{"get", "synctargets"}, {"get", "configmaps", "-A"}, {"get", "widgets", "-A"}} {
		_, errOut, err := f.syncer.Run(args...)
		require.Error(t, err, "in the compute workspace: %v", args)
		assert.Regexp(t, `Forbidden|the server doesn't have a resource type`, errOut, "%v", args)
	}
}
