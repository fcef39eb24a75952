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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gantry-dev/gantry/test/harness"
)

// snapshot records everything a workspace holds that the tests touch, to prove a sibling's steps left it alone.
type snapshot map[string]string

func takeSnapshot(t *testing.T, client kubernetes.Interface) snapshot {
	t.Helper()
	ctx := context.Background()
	snap := snapshot{}
	cms, err := client.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, cm := range cms.Items {
		b, _ := json.Marshal([]interface{}{cm.Data, cm.Labels, cm.Annotations, cm.ResourceVersion})
		snap["configmap/"+cm.Namespace+"/"+cm.Name] = string(b)
	}
	nss, err := client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	for _, ns := range nss.Items {
		snap["namespace/"+ns.Name] = ns.ResourceVersion
	}
	return snap
}

// siblingFixture holds the server, workspaces and kubectls that the subtests of TestKubectlInSiblingWorkspaces share.
type siblingFixture struct {
	s            *harness.Server
	pathA, pathB string
	clusterA     string
	a, b         *harness.Kubectl
	clientB      kubernetes.Interface
	before       snapshot // workspace B after setup
}

// bUnchanged checks that workspace B holds what it held after setup.
func (f *siblingFixture) bUnchanged(t *testing.T, step string) {
	t.Helper()
	assert.Equal(t, f.before, takeSnapshot(t, f.clientB), "workspace B changed during step %q in workspace A", step)
}

// setupSiblings creates sibling workspaces team-a and team-b, each with a labelled configmap model, and snapshots B.
func setupSiblings(t *testing.T) *siblingFixture {
	s := harness.Start(t)
	f := &siblingFixture{s: s}
	var clusterB string
	f.pathA, f.clusterA = s.CreateWorkspace(t, "root", "team-a")
	f.pathB, clusterB = s.CreateWorkspace(t, "root", "team-b")
	require.NotEqual(t, f.clusterA, clusterB)
	f.a, f.b = s.Kubectl(f.pathA), s.Kubectl(f.pathB)
	f.clientB, _ = s.Clients(t, f.pathB)

	f.a.MustRun(t, "create", "configmap", "model", "--from-literal=name=llama")
	f.a.MustRun(t, "label", "configmap", "model", "team=a")
	f.b.MustRun(t, "create", "configmap", "model", "--from-literal=name=mistral")
	f.b.MustRun(t, "label", "configmap", "model", "team=b")
	f.before = takeSnapshot(t, f.clientB)
	return f
}

func TestKubectlInSiblingWorkspaces(t *testing.T) {
	f := setupSiblings(t)
	t.Run("get -o yaml and jsonpath", func(t *testing.T) { testSiblingGet(t, f) })
	t.Run("label and field selectors", func(t *testing.T) { testSiblingSelectors(t, f) })
	t.Run("chunked list", func(t *testing.T) { testSiblingChunkedList(t, f) })
	t.Run("get -w sees only its own workspace", func(t *testing.T) { testSiblingWatch(t, f) })
	t.Run("client-side apply twice", func(t *testing.T) { testSiblingClientSideApply(t, f) })
	t.Run("server-side apply with a conflict", func(t *testing.T) { testSiblingServerSideApply(t, f) })
	t.Run("patch strategic, merge and json", func(t *testing.T) { testSiblingPatch(t, f) })
	t.Run("patch --subresource=status", func(t *testing.T) { testSiblingPatchStatus(t, f) })
	t.Run("edit with KUBE_EDITOR", func(t *testing.T) { testSiblingEdit(t, f) })
	t.Run("label and annotate", func(t *testing.T) { testSiblingLabelAnnotate(t, f) })
	t.Run("dry-run=server writes nothing", func(t *testing.T) { testSiblingDryRun(t, f) })
	t.Run("delete", func(t *testing.T) { testSiblingDelete(t, f) })
	t.Run("explain and api-resources", func(t *testing.T) { testSiblingExplain(t, f) })
	t.Run("other built-in kinds are isolated", func(t *testing.T) { testSiblingOtherKinds(t, f) })
}

// testSiblingGet checks that get -o yaml and jsonpath show each workspace's own model, annotated with A's cluster.
func testSiblingGet(t *testing.T, f *siblingFixture) {
	out := f.a.MustRun(t, "get", "configmap", "model", "-o", "yaml")
	assert.Contains(t, out, "name: llama")
	assert.Contains(t, out, "gantry.dev/cluster: "+f.clusterA)
	assert.Equal(t, "llama", f.a.MustRun(t, "get", "configmap", "model", "-o", "jsonpath={.data.name}"))
	assert.Equal(t, "mistral", f.b.MustRun(t, "get", "configmap", "model", "-o", "jsonpath={.data.name}"))
	f.bUnchanged(t, "get")
}

// testSiblingSelectors checks that label and field selectors in A match A's objects only.
func testSiblingSelectors(t *testing.T, f *siblingFixture) {
	a := f.a
	assert.Equal(t, "configmap/model\n", a.MustRun(t, "get", "configmaps", "-l", "team=a", "-o", "name"))
	assert.Empty(t, a.MustRun(t, "get", "configmaps", "-l", "team=b", "-o", "name"), "A must not see B's labels")
	assert.Equal(t, "configmap/model\n", a.MustRun(t, "get", "configmaps", "--field-selector", "metadata.name=model", "-o", "name"))
	assert.Empty(t, a.MustRun(t, "get", "configmaps", "--field-selector", "metadata.name=nope", "-o", "name"))
	f.bUnchanged(t, "selectors")
}

// testSiblingChunkedList checks that chunked lists in A and B return each workspace's configmaps, all of them.
func testSiblingChunkedList(t *testing.T, f *siblingFixture) {
	for i := 0; i < 5; i++ {
		f.a.MustRun(t, "create", "configmap", fmt.Sprintf("chunk-%d", i), "--from-literal=i="+fmt.Sprint(i))
	}
	out := f.a.MustRun(t, "get", "configmaps", "--chunk-size=2", "-o", "name")
	assert.Len(t, strings.Fields(out), 7, out) // with the namespace's kube-root-ca.crt
	outB := f.b.MustRun(t, "get", "configmaps", "--chunk-size=1", "-o", "name")
	assert.Equal(t, "configmap/kube-root-ca.crt\nconfigmap/model\n", outB)
	f.bUnchanged(t, "chunked list")
}

// testSiblingWatch checks that kubectl get -w in A sees A's new configmap and not B's.
func testSiblingWatch(t *testing.T, f *siblingFixture) {
	a, b := f.a, f.b
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct{ out, errOut string }
	done := make(chan result, 1)
	go func() {
		out, errOut, _ := a.RunContext(ctx, "get", "configmaps", "-w", "--watch-only", "-o", "name")
		done <- result{out, errOut}
	}()
	time.Sleep(1500 * time.Millisecond) // let the watch start
	b.MustRun(t, "create", "configmap", "watched-in-b")
	a.MustRun(t, "create", "configmap", "watched-in-a")
	time.Sleep(1500 * time.Millisecond)
	cancel()
	r := <-done
	assert.Contains(t, r.out, "configmap/watched-in-a", r.errOut)
	assert.NotContains(t, r.out, "watched-in-b")
	b.MustRun(t, "delete", "configmap", "watched-in-b")
	f.bUnchanged(t, "watch")
}

// testSiblingClientSideApply checks that applying a manifest twice creates and then configures it.
func testSiblingClientSideApply(t *testing.T, f *siblingFixture) {
	a := f.a
	manifest := func(v string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\n  namespace: default\ndata:\n  version: \"" + v + "\"\n"
	}
	assert.Contains(t, a.WithStdin(manifest("1")).MustRun(t, "apply", "-f", "-"), "created")
	assert.Contains(t, a.WithStdin(manifest("2")).MustRun(t, "apply", "-f", "-"), "configured")
	assert.Equal(t, "2", a.MustRun(t, "get", "configmap", "applied", "-o", "jsonpath={.data.version}"))
	f.bUnchanged(t, "apply")
}

// testSiblingServerSideApply checks that a conflicting server-side apply fails until forced, and records its manager.
func testSiblingServerSideApply(t *testing.T, f *siblingFixture) {
	a := f.a
	m := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: default\ndata:\n  owner: \"%s\"\n"
	a.WithStdin(fmt.Sprintf(m, "first")).MustRun(t, "apply", "--server-side", "--field-manager=first", "-f", "-")
	_, errOut, err := a.WithStdin(fmt.Sprintf(m, "second")).Run("apply", "--server-side", "--field-manager=second", "-f", "-")
	require.Error(t, err, "a conflicting server-side apply must fail")
	assert.Contains(t, strings.ToLower(errOut), "conflict")
	assert.Equal(t, "first", a.MustRun(t, "get", "configmap", "ssa", "-o", "jsonpath={.data.owner}"))
	a.WithStdin(fmt.Sprintf(m, "second")).MustRun(t, "apply", "--server-side", "--field-manager=second", "--force-conflicts", "-f", "-")
	assert.Equal(t, "second", a.MustRun(t, "get", "configmap", "ssa", "-o", "jsonpath={.data.owner}"))
	managers := a.MustRun(t, "get", "configmap", "ssa", "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}")
	assert.Contains(t, managers, "second")
	f.bUnchanged(t, "server-side apply")
}

// testSiblingPatch checks strategic merge, merge and JSON patches of A's model.
func testSiblingPatch(t *testing.T, f *siblingFixture) {
	a := f.a
	a.MustRun(t, "patch", "configmap", "model", "-p", `{"data":{"strategic":"yes"}}`)
	a.MustRun(t, "patch", "configmap", "model", "--type=merge", "-p", `{"data":{"merge":"yes"}}`)
	a.MustRun(t, "patch", "configmap", "model", "--type=json", "-p", `[{"op":"add","path":"/data/json","value":"yes"}]`)
	out := a.MustRun(t, "get", "configmap", "model", "-o", "jsonpath={.data}")
	for _, k := range []string{"strategic", "merge", "json", "name"} {
		assert.Contains(t, out, `"`+k+`"`)
	}
	f.bUnchanged(t, "patch")
}

// testSiblingPatchStatus checks that the status subresource of A's child workspace is patched in A only, and that
// the main resource ignores status.
func testSiblingPatchStatus(t *testing.T, f *siblingFixture) {
	a, b := f.a, f.b
	// Same-named child workspaces in A and B; A's status is patched through the subresource.
	f.s.CreateWorkspace(t, f.pathA, "child")
	f.s.CreateWorkspace(t, f.pathB, "child")
	a.MustRun(t, "patch", "workspace", "child", "--subresource=status", "--type=merge",
		"-p", `{"status":{"conditions":[{"type":"Checked","status":"True","reason":"E2E","message":"patched","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`)
	assert.Equal(t, "E2E", a.MustRun(t, "get", "workspace", "child", "-o", "jsonpath={.status.conditions[0].reason}"))
	assert.Empty(t, b.MustRun(t, "get", "workspace", "child", "-o", "jsonpath={.status.conditions}"))
	// The main resource ignores status, the status subresource ignores spec.
	a.MustRun(t, "patch", "workspace", "child", "--type=merge", "-p", `{"status":{"phase":"Scheduling"}}`)
	assert.Equal(t, "Ready", a.MustRun(t, "get", "workspace", "child", "-o", "jsonpath={.status.phase}"))
	f.bUnchanged(t, "status patch")
}

// testSiblingEdit checks kubectl edit with a scripted KUBE_EDITOR.
func testSiblingEdit(t *testing.T, f *siblingFixture) {
	f.a.WithEnv("KUBE_EDITOR=sed -i s/llama/llama-3/").MustRun(t, "edit", "configmap", "model")
	assert.Equal(t, "llama-3", f.a.MustRun(t, "get", "configmap", "model", "-o", "jsonpath={.data.name}"))
	f.bUnchanged(t, "edit")
}

// testSiblingLabelAnnotate checks kubectl label and annotate in A.
func testSiblingLabelAnnotate(t *testing.T, f *siblingFixture) {
	a := f.a
	a.MustRun(t, "label", "configmap", "model", "stage=prod")
	a.MustRun(t, "annotate", "configmap", "model", "owner=ml-team")
	assert.Equal(t, "prod", a.MustRun(t, "get", "configmap", "model", "-o", "jsonpath={.metadata.labels.stage}"))
	assert.Equal(t, "ml-team", a.MustRun(t, "get", "configmap", "model", "-o", "jsonpath={.metadata.annotations.owner}"))
	f.bUnchanged(t, "label and annotate")
}

// testSiblingDryRun checks that server-side dry-run creates and deletes write nothing.
func testSiblingDryRun(t *testing.T, f *siblingFixture) {
	a := f.a
	a.MustRun(t, "create", "configmap", "dry", "--from-literal=a=b", "--dry-run=server")
	_, errOut, err := a.Run("get", "configmap", "dry")
	require.Error(t, err)
	assert.Contains(t, errOut, "NotFound")
	a.MustRun(t, "delete", "configmap", "model", "--dry-run=server")
	a.MustRun(t, "get", "configmap", "model")
	f.bUnchanged(t, "dry-run")
}

// testSiblingDelete checks that deletes in A remove A's objects and leave B's same-named model.
func testSiblingDelete(t *testing.T, f *siblingFixture) {
	a := f.a
	a.MustRun(t, "delete", "configmap", "chunk-0")
	_, _, err := a.Run("get", "configmap", "chunk-0")
	require.Error(t, err)
	a.MustRun(t, "delete", "configmap", "model")
	assert.Equal(t, "mistral", f.b.MustRun(t, "get", "configmap", "model", "-o", "jsonpath={.data.name}"))
	f.bUnchanged(t, "delete")
}

// testSiblingExplain checks kubectl explain and that api-resources lists the built-in kinds and workspaces.
func testSiblingExplain(t *testing.T, f *siblingFixture) {
	a := f.a
	out := a.MustRun(t, "explain", "configmap.data")
	assert.Contains(t, out, "FIELD: data")
	out = a.MustRun(t, "explain", "workspaces.spec")
	assert.Contains(t, out, "cluster")
	out = a.MustRun(t, "api-resources")
	for _, r := range []string{"configmaps", "namespaces", "secrets", "serviceaccounts", "events", "leases",
		"roles", "rolebindings", "clusterroles", "clusterrolebindings", "workspaces"} {
		assert.Regexp(t, "(?m)^"+r+" ", out)
	}
	f.bUnchanged(t, "explain")
}

// testSiblingOtherKinds checks that same-named secrets, namespaces and other built-ins are apart in A and B.
func testSiblingOtherKinds(t *testing.T, f *siblingFixture) {
	a, b := f.a, f.b
	for _, w := range []*harness.Kubectl{a, b} {
		w.MustRun(t, "create", "secret", "generic", "token", "--from-literal=t=1")
		w.MustRun(t, "create", "serviceaccount", "runner")
		w.MustRun(t, "create", "namespace", "ml")
		w.MustRun(t, "create", "role", "reader", "--verb=get", "--resource=configmaps")
		w.MustRun(t, "create", "rolebinding", "reader", "--role=reader", "--user=alice")
		w.MustRun(t, "create", "clusterrole", "reader", "--verb=get", "--resource=configmaps")
	}
	a.MustRun(t, "delete", "namespace", "ml")
	b.MustRun(t, "get", "namespace", "ml")
	a.MustRun(t, "delete", "secret", "token")
	assert.Equal(t, "Opaque", b.MustRun(t, "get", "secret", "token", "-o", "jsonpath={.type}"))
}

func TestClientGoIsolation(t *testing.T) {
	s := harness.Start(t)
	pathA, clusterA := s.CreateWorkspace(t, "root", "alpha")
	_, clusterB := s.CreateWorkspace(t, "root", "beta")
	ctx := context.Background()
	// The same workspace by path and by logical cluster name.
	byPath, _ := s.Clients(t, pathA)
	byName, _ := s.Clients(t, clusterA)
	other, _ := s.Clients(t, clusterB)

	w, err := other.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	defer w.Stop()

	_, err = byPath.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cfg"}, Data: map[string]string{"w": "alpha"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	got, err := byName.CoreV1().ConfigMaps("default").Get(ctx, "cfg", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "alpha", got.Data["w"])
	_, err = other.CoreV1().ConfigMaps("default").Get(ctx, "cfg", metav1.GetOptions{})
	require.Error(t, err, "beta must not see alpha's configmap")

	_, err = other.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "only-beta"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	// The watch starts with beta's existing objects (its namespace's kube-root-ca.crt), then beta's new one; alpha's
	// never appears.
	deadline := time.After(30 * time.Second)
	for seen := false; !seen; {
		select {
		case ev := <-w.ResultChan():
			cm := ev.Object.(*corev1.ConfigMap)
			assert.Equal(t, clusterB, cm.Annotations["gantry.dev/cluster"], "beta's watch must see only beta's objects: %s", cm.Name)
			assert.NotEqual(t, "cfg", cm.Name, "beta's watch must not see alpha's configmap")
			seen = cm.Name == "only-beta"
		case <-deadline:
			t.Fatal("beta's watch did not see only-beta")
		}
	}

	// Protobuf, which kubectl and controllers use for built-ins.
	cfg, err := s.RESTConfig(pathA)
	require.NoError(t, err)
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf"
	proto := kubernetes.NewForConfigOrDie(cfg)
	list, err := proto.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, 2)
	assert.Equal(t, []string{"cfg", "kube-root-ca.crt"}, []string{list.Items[0].Name, list.Items[1].Name})
	_, err = proto.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "p"}}, metav1.CreateOptions{})
	require.NoError(t, err)
}
