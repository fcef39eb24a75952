package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/endpoints/discovery"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	clientdiscovery "k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/pkg/etcd"
	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

// getRaw GETs path on the server's root (no workspace) and returns the status code and body.
func getRaw(t *testing.T, s *harness.Server, path string) (int, string) {
	t.Helper()
	cfg, err := s.RESTConfig("root")
	require.NoError(t, err)
	client, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d%s", s.Port, path))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

// TestHealthChecksVerbose: /healthz, /livez and /readyz list the checks operators expect, etcd among them, and
// each check has its own endpoint.
func TestHealthChecksVerbose(t *testing.T) {
	s := harness.Start(t)
	// The replica elected just after it became ready reads the garbage collector's graph once before /readyz
	// passes again.
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		code, _ := getRaw(t, s, "/readyz")
		return code == http.StatusOK, nil
	})
	require.NoError(t, err, "/readyz never passed")
	common := []string{"[+]ping ok", "[+]log ok", "[+]etcd ok", "[+]poststarthook/gantry-workspaces ok",
		"[+]poststarthook/max-in-flight-filter ok", "[+]poststarthook/storage-object-count-tracker-hook ok",
		"[+]poststarthook/crd-informer-synced ok"}
	for _, endpoint := range []string{"/healthz", "/livez", "/readyz"} {
		code, body := getRaw(t, s, endpoint+"?verbose")
		assert.Equal(t, http.StatusOK, code, endpoint)
		for _, want := range common {
			assert.Contains(t, body, want, endpoint)
		}
		assert.Contains(t, body, strings.TrimPrefix(endpoint, "/")+" check passed", endpoint)
		for _, check := range []string{"ping", "log", "etcd", "poststarthook/gantry-workspaces"} {
			code, body := getRaw(t, s, endpoint+"/"+check)
			assert.Equal(t, http.StatusOK, code, "%s/%s", endpoint, check)
			assert.Equal(t, "ok", body, "%s/%s", endpoint, check)
		}
	}
	_, body := getRaw(t, s, "/readyz?verbose")
	for _, want := range []string{"[+]etcd-readiness ok", "[+]informer-sync ok", "[+]workspace-index ok", "[+]shutdown ok"} {
		assert.Contains(t, body, want)
	}
	for _, check := range []string{"/readyz/etcd-readiness", "/readyz/informer-sync", "/livez/poststarthook/crd-informer-synced"} {
		code, body := getRaw(t, s, check)
		assert.Equal(t, http.StatusOK, code, check)
		assert.Equal(t, "ok", body, check)
	}
	// Bad input: a check that does not exist, and excluding one that does not.
	code, _ := getRaw(t, s, "/readyz/no-such-check")
	assert.Equal(t, http.StatusNotFound, code)
	code, body = getRaw(t, s, "/livez?verbose&exclude=etcd&exclude=no-such-check")
	assert.Equal(t, http.StatusOK, code)
	assert.NotContains(t, body, "[+]etcd ok", "an excluded check is not run")
	assert.Contains(t, body, "warn: some health checks cannot be excluded: no matches for \"no-such-check\"")
}

// TestEtcdCheckFailsWithoutEtcd: with an external etcd stopped, the etcd checks fail and say so, while the
// server keeps answering them.
func TestEtcdCheckFailsWithoutEtcd(t *testing.T) {
	store, err := etcd.Start(context.Background(), etcd.Config{Dir: t.TempDir(), UnsafeNoFsync: true})
	require.NoError(t, err)
	etcdStopped := false
	t.Cleanup(func() {
		if !etcdStopped {
			store.Close()
		}
	})
	s := harness.Start(t, "--etcd-servers", strings.Join(store.Endpoints, ","))
	code, body := getRaw(t, s, "/livez/etcd")
	require.Equal(t, http.StatusOK, code, body)

	store.Close()
	etcdStopped = true
	err = wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 90*time.Second, true, func(context.Context) (bool, error) {
		code, _ := getRaw(t, s, "/livez/etcd")
		return code == http.StatusInternalServerError, nil
	})
	require.NoError(t, err, "/livez/etcd still passes with etcd stopped")
	for _, endpoint := range []string{"/healthz", "/livez", "/readyz"} {
		code, body := getRaw(t, s, endpoint+"?verbose")
		assert.Equal(t, http.StatusInternalServerError, code, endpoint)
		assert.Contains(t, body, "[-]etcd failed", endpoint)
		assert.Contains(t, body, "[+]ping ok", endpoint, "the other checks still run")
		assert.Contains(t, body, strings.TrimPrefix(endpoint, "/")+" check failed", endpoint)
	}
	code, body = getRaw(t, s, "/readyz?verbose")
	assert.Equal(t, http.StatusInternalServerError, code)
	assert.Contains(t, body, "[-]etcd-readiness failed")
	// What is left to test needs no etcd; without it a graceful shutdown would wait on it.
	s.Stop(syscall.SIGKILL)
}

// TestDiscoveryStorageVersionHash: custom resources, of a local CRD and of an APIBinding, carry the
// storageVersionHash kube-apiserver computes, in the discovery client-go reads.
func TestDiscoveryStorageVersionHash(t *testing.T) {
	s := harness.Start(t)
	local, _ := s.CreateWorkspace(t, "root", "hash-local")
	provider, _ := s.CreateWorkspace(t, "root", "hash-provider")
	consumer, _ := s.CreateWorkspace(t, "root", "hash-consumer")
	s.Kubectl(local).WithStdin(samples.WidgetsCRD).MustRun(t, "apply", "-f", "-")
	s.Kubectl(local).MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	s.Kubectl(provider).WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).MustRun(t, "create", "-f", "-")
	s.Kubectl(consumer).WithStdin(bindingYAML("widgets", provider)).MustRun(t, "create", "-f", "-")
	s.Kubectl(consumer).MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")

	want := discovery.StorageVersionHash("example.com", "v1", "Widget")
	for _, workspace := range []string{local, consumer} {
		cfg, err := s.RESTConfig(workspace)
		require.NoError(t, err)
		dc, err := clientdiscovery.NewDiscoveryClientForConfig(cfg)
		require.NoError(t, err)
		// Legacy discovery of the group version.
		list, err := dc.ServerResourcesForGroupVersion("example.com/v1")
		require.NoError(t, err, workspace)
		assert.Equal(t, want, resourceHash(list, "widgets"), "%s: /apis/example.com/v1", workspace)
		assert.Empty(t, resourceHash(list, "widgets/status"), "subresources have no hash, as in Kubernetes")
		// What kubectl and controllers read: every group, here with aggregated discovery turned off.
		dc.UseLegacyDiscovery = true
		_, lists, err := dc.ServerGroupsAndResources()
		require.NoError(t, err, workspace)
		found := false
		for _, l := range lists {
			if l.GroupVersion == "example.com/v1" {
				found = true
				assert.Equal(t, want, resourceHash(l, "widgets"), workspace)
			}
		}
		assert.True(t, found, "%s: example.com/v1 in legacy discovery", workspace)
		// Built-ins keep theirs.
		core, err := dc.ServerResourcesForGroupVersion("v1")
		require.NoError(t, err)
		assert.NotEmpty(t, resourceHash(core, "configmaps"))
	}
	// A workspace without widgets has no such group: bad input is a 404, not an empty hash.
	cfg, err := s.RESTConfig(provider)
	require.NoError(t, err)
	dc, err := clientdiscovery.NewDiscoveryClientForConfig(cfg)
	require.NoError(t, err)
	_, err = dc.ServerResourcesForGroupVersion("example.com/v1")
	require.Error(t, err)
	assert.True(t, apierrors.IsNotFound(err), "got %v", err)
}

// resourceHash is the storageVersionHash of resource name in list, or "" when absent.
func resourceHash(list *metav1.APIResourceList, name string) string {
	for _, r := range list.APIResources {
		if r.Name == name {
			return r.StorageVersionHash
		}
	}
	return ""
}

// TestNamespaceStatus: namespaces/status through kubectl and client-go, as in Kubernetes, one workspace apart from
// another with a namespace of the same name.
func TestNamespaceStatus(t *testing.T) {
	s := harness.Start(t)
	pathA, _ := s.CreateWorkspace(t, "root", "ns-status-a")
	pathB, _ := s.CreateWorkspace(t, "root", "ns-status-b")
	a, b := s.Kubectl(pathA), s.Kubectl(pathB)
	a.MustRun(t, "create", "namespace", "team")
	b.MustRun(t, "create", "namespace", "team")
	a.MustRun(t, "create", "namespace", "only-a")
	bBefore := b.MustRun(t, "get", "namespace", "team", "-o", "json")
	ctx := context.Background()
	clientA, _ := s.Clients(t, pathA)

	// kubectl patch --subresource=status: the status changes, a spec change alongside is ignored.
	a.MustRun(t, "patch", "namespace", "team", "--subresource=status", "--type=merge",
		"-p", `{"spec":{"finalizers":[]},"status":{"conditions":[{"type":"Audited","status":"True","reason":"Checked"}]}}`)
	assert.Equal(t, "Audited=True", a.MustRun(t, "get", "namespace", "team", "-o", "jsonpath={range .status.conditions[*]}{.type}={.status}{end}"))
	assert.Equal(t, "kubernetes", a.MustRun(t, "get", "namespace", "team", "-o", "jsonpath={.spec.finalizers[*]}"), "the status endpoint keeps the spec")
	assert.Equal(t, "Active", a.MustRun(t, "get", "namespace", "team", "--subresource=status", "-o", "jsonpath={.status.phase}"))

	// client-go UpdateStatus and ApplyStatus.
	ns, err := clientA.CoreV1().Namespaces().Get(ctx, "team", metav1.GetOptions{})
	require.NoError(t, err)
	ns.Status.Conditions = append(ns.Status.Conditions, corev1.NamespaceCondition{Type: "Quota", Status: corev1.ConditionFalse, Reason: "Over"})
	updated, err := clientA.CoreV1().Namespaces().UpdateStatus(ctx, ns, metav1.UpdateOptions{})
	require.NoError(t, err)
	assert.Len(t, updated.Status.Conditions, 2)
	applied, err := clientA.CoreV1().Namespaces().ApplyStatus(ctx, corev1ac.Namespace("team").WithStatus(corev1ac.NamespaceStatus().
		WithConditions(corev1ac.NamespaceCondition().WithType("Backup").WithStatus(corev1.ConditionTrue))), metav1.ApplyOptions{FieldManager: "backup", Force: true})
	require.NoError(t, err)
	types := []corev1.NamespaceConditionType{}
	for _, c := range applied.Status.Conditions {
		types = append(types, c.Type)
	}
	assert.ElementsMatch(t, []corev1.NamespaceConditionType{"Audited", "Quota", "Backup"}, types)

	// The main endpoint ignores the status, as in Kubernetes.
	ns, err = clientA.CoreV1().Namespaces().Get(ctx, "team", metav1.GetOptions{})
	require.NoError(t, err)
	ns.Status.Conditions = nil
	ns.Labels = map[string]string{"audited": "yes"}
	updated, err = clientA.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{})
	require.NoError(t, err)
	assert.Equal(t, "yes", updated.Labels["audited"])
	assert.Len(t, updated.Status.Conditions, 3, "an update of namespaces keeps the status")

	// Bad input: a phase that disagrees with deletionTimestamp, a missing namespace, another workspace's namespace.
	_, errOut, err := a.Run("patch", "namespace", "team", "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Terminating"}}`)
	require.Error(t, err)
	assert.Contains(t, errOut, `Namespace "team" is invalid: status.phase: Invalid value: "Terminating": may only be 'Active' if `+"`deletionTimestamp`"+` is empty`)
	_, err = clientA.CoreV1().Namespaces().UpdateStatus(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "nope"}}, metav1.UpdateOptions{})
	require.Error(t, err)
	assert.True(t, apierrors.IsNotFound(err), "got %v", err)
	_, errOut, err = a.Run("patch", "namespace", "nope", "--subresource=status", "--type=merge", "-p", `{"status":{"conditions":[]}}`)
	require.Error(t, err)
	assert.Contains(t, errOut, `namespaces "nope" not found`)
	_, errOut, err = b.Run("patch", "namespace", "only-a", "--subresource=status", "--type=merge", "-p", `{"status":{"conditions":[{"type":"X","status":"True"}]}}`)
	require.Error(t, err)
	assert.Contains(t, errOut, `namespaces "only-a" not found`, "workspace B does not see A's namespace")
	assert.Empty(t, a.MustRun(t, "get", "namespace", "only-a", "-o", "jsonpath={.status.conditions}"))
	aBefore := a.MustRun(t, "get", "namespace", "team", "-o", "json")
	all, _ := s.Clients(t, "*")
	_, err = all.CoreV1().Namespaces().Patch(ctx, "team", "application/merge-patch+json",
		[]byte(`{"status":{"conditions":[{"type":"Everywhere","status":"True"}]}}`), metav1.PatchOptions{}, "status")
	require.Error(t, err)
	assert.True(t, apierrors.IsForbidden(err), "a status patch across workspaces: %v", err)
	assert.Equal(t, aBefore, a.MustRun(t, "get", "namespace", "team", "-o", "json"), "the wildcard changed workspace A's namespace")
	assert.Equal(t, bBefore, b.MustRun(t, "get", "namespace", "team", "-o", "json"), "workspace B's namespace of the same name is untouched")

	// Discovery tells clients the subresource exists.
	assert.Contains(t, a.MustRun(t, "get", "--raw", "/clusters/"+pathA+"/api/v1"), `"name":"namespaces/status"`)
}

// tableEvent is what a watch event in Table form says, as far as these tests look.
type tableEvent struct {
	Type   string `json:"type"`
	Object struct {
		Kind              string                         `json:"kind"`
		ColumnDefinitions []metav1.TableColumnDefinition `json:"columnDefinitions"`
		Rows              []struct {
			Cells []interface{} `json:"cells"`
		} `json:"rows"`
	} `json:"object"`
}

// tableWatchList opens a WatchList (sendInitialEvents with resourceVersionMatch=NotOlderThan) of path in Table
// form on cfg, reads the initial events up to their closing bookmark, calls then, and reads on until an added
// row named want. It returns every event read.
func tableWatchList(t *testing.T, cfg *rest.Config, path string, then func(), want string) []tableEvent {
	t.Helper()
	client, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	query := url.Values{"watch": {"true"}, "sendInitialEvents": {"true"}, "resourceVersionMatch": {"NotOlderThan"}, "allowWatchBookmarks": {"true"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(cfg.Host, "/")+path+"?"+query.Encode(), nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	decoder := json.NewDecoder(resp.Body)
	var events []tableEvent
	initial := true
	for {
		var e tableEvent
		require.NoError(t, decoder.Decode(&e), "after %d events", len(events))
		events = append(events, e)
		if initial && e.Type == "BOOKMARK" {
			initial = false
			then()
			continue
		}
		if !initial && e.Type == "ADDED" && len(e.Object.Rows) == 1 && e.Object.Rows[0].Cells[0] == want {
			return events
		}
	}
}

// headersOnlyFirst checks that only the first event of events carries column definitions, and that every event
// is a Table.
func headersOnlyFirst(t *testing.T, events []tableEvent, what string) {
	t.Helper()
	require.GreaterOrEqual(t, len(events), 3, what)
	for i, e := range events {
		assert.Equal(t, "Table", e.Object.Kind, "%s: event %d (%s)", what, i, e.Type)
		if i == 0 {
			assert.NotEmpty(t, e.Object.ColumnDefinitions, "%s: the first event carries the column definitions", what)
		} else {
			assert.Empty(t, e.Object.ColumnDefinitions, "%s: event %d (%s) repeats the column definitions", what, i, e.Type)
		}
	}
}

// TestWatchListTable: a WatchList in Table form sends the column definitions once, with its first event, for
// built-in and custom resources, and a watch in one workspace sees no other's objects.
func TestWatchListTable(t *testing.T) {
	s := harness.Start(t)
	pathA, _ := s.CreateWorkspace(t, "root", "table-a")
	pathB, _ := s.CreateWorkspace(t, "root", "table-b")
	a, b := s.Kubectl(pathA), s.Kubectl(pathB)
	a.MustRun(t, "create", "namespace", "watched")
	b.MustRun(t, "create", "namespace", "watched")
	for _, name := range []string{"one", "two"} {
		a.MustRun(t, "create", "configmap", name, "-n", "watched")
	}
	b.MustRun(t, "create", "configmap", "only-in-b", "-n", "watched")
	cfg, err := s.RESTConfig(pathA)
	require.NoError(t, err)
	events := tableWatchList(t, cfg, "/api/v1/namespaces/watched/configmaps", func() {
		b.MustRun(t, "create", "configmap", "later-in-b", "-n", "watched")
		a.MustRun(t, "create", "configmap", "three", "-n", "watched")
	}, "three")
	headersOnlyFirst(t, events, "configmaps")
	for _, e := range events {
		for _, row := range e.Object.Rows {
			assert.NotContains(t, []interface{}{"only-in-b", "later-in-b"}, row.Cells[0], "workspace A's watch shows B's configmap")
		}
	}

	a.WithStdin(samples.WidgetsCRD).MustRun(t, "apply", "-f", "-")
	a.MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	a.WithStdin(widget("w1", "{size: 3}")).MustRun(t, "create", "-f", "-")
	events = tableWatchList(t, cfg, "/apis/example.com/v1/namespaces/default/widgets", func() {
		a.WithStdin(widget("w2", "{size: 4}")).MustRun(t, "create", "-f", "-")
	}, "w2")
	headersOnlyFirst(t, events, "widgets")
}

// TestWatchListTableAsKubernetes: the same WatchList in Table form against a real kube-apiserver and against
// Gantry brings the same events with column definitions in the same places.
func TestWatchListTableAsKubernetes(t *testing.T) {
	kube := kubecluster.Start(t)
	s := harness.Start(t)
	path, _ := s.CreateWorkspace(t, "root", "table-kube")
	gantryCfg, err := s.RESTConfig(path)
	require.NoError(t, err)
	kubeCfg := kube.RESTConfig()

	// For each server, the events (type and first cell) and which of them carry column definitions.
	events, withHeaders := map[string][]string{}, map[string][]int{}
	for name, cfg := range map[string]*rest.Config{"kube-apiserver": kubeCfg, "gantry": gantryCfg} {
		client := kubernetes.NewForConfigOrDie(cfg)
		ctx := context.Background()
		_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "watched"}}, metav1.CreateOptions{})
		require.NoError(t, err, name)
		for _, cm := range []string{"one", "two"} {
			_, err := client.CoreV1().ConfigMaps("watched").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: cm}}, metav1.CreateOptions{})
			require.NoError(t, err, name)
		}
		got := tableWatchList(t, cfg, "/api/v1/namespaces/watched/configmaps", func() {
			_, err := client.CoreV1().ConfigMaps("watched").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "three"}}, metav1.CreateOptions{})
			require.NoError(t, err, name)
		}, "three")
		for i, e := range got {
			if len(e.Object.ColumnDefinitions) > 0 {
				withHeaders[name] = append(withHeaders[name], i)
			}
			if e.Type == "BOOKMARK" {
				events[name] = append(events[name], e.Type)
				continue
			}
			require.Len(t, e.Object.Rows, 1, "%s: event %d", name, i)
			// Namespaces of Kubernetes hold kube-root-ca.crt besides (Gantry's too, once it creates it).
			if cell := e.Object.Rows[0].Cells[0]; cell != "kube-root-ca.crt" {
				events[name] = append(events[name], fmt.Sprintf("%s %v", e.Type, cell))
			}
		}
	}
	assert.Equal(t, []string{"ADDED one", "ADDED two", "BOOKMARK", "ADDED three"}, events["kube-apiserver"])
	assert.Equal(t, events["kube-apiserver"], events["gantry"])
	assert.Equal(t, []int{0}, withHeaders["kube-apiserver"], "kube-apiserver sends the column definitions with the first event only")
	assert.Equal(t, withHeaders["kube-apiserver"], withHeaders["gantry"], "which events carry column definitions")
}

// TestVersionWithoutBuildFlags: a gantry built with a plain `go build`, without the Makefile's -ldflags, serves a
// version that client-go and kubectl parse.
func TestVersionWithoutBuildFlags(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "gantry")
	build := exec.Command("go", "build", "-o", bin, "./cmd/gantry")
	build.Dir = repoRoot(t)
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	s := harness.StartBinary(t, bin)

	cfg, err := s.RESTConfig("root")
	require.NoError(t, err)
	dc, err := clientdiscovery.NewDiscoveryClientForConfig(cfg)
	require.NoError(t, err)
	info, err := dc.ServerVersion()
	require.NoError(t, err)
	assert.NotContains(t, info.GitVersion, "$Format")
	v, err := utilversion.ParseSemantic(info.GitVersion)
	require.NoError(t, err, "client-go's parser refuses %q", info.GitVersion)
	assert.Equal(t, uint(1), v.Major())
	assert.Equal(t, uint(37), v.Minor(), "the version is the Kubernetes API level served")
	assert.Equal(t, "1", info.Major)
	assert.Equal(t, "37", info.Minor)

	stdout, stderr, err := s.Kubectl("root").Run("version", "-o", "json")
	require.NoError(t, err, stderr)
	var versions struct {
		ServerVersion struct {
			GitVersion string `json:"gitVersion"`
		} `json:"serverVersion"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &versions))
	assert.Equal(t, info.GitVersion, versions.ServerVersion.GitVersion)
	// kubectl warns about skew only when it could parse both versions; it names the server's API level.
	if strings.Contains(stderr, "version difference") {
		assert.Contains(t, stderr, "server (1.37)")
	}
	assert.NotContains(t, strings.ToLower(stderr), "pars", "kubectl parses the server version")
}

// repoRoot is the repository's root directory, where `go build ./cmd/gantry` runs.
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
