package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/gantry-dev/gantry/test/harness"
)

// wildcardFixture holds the server, clients and watch that the subtests of TestWildcardListAndWatch share.
type wildcardFixture struct {
	s                  *harness.Server
	clusterA, clusterB string
	a, b, all          kubernetes.Interface // wa's, wb's, and the wildcard "*"'s
	w                  watch.Interface      // the wildcard watch of configmaps, started before any was created
}

// setupWildcard creates workspaces wa and wb, starts a wildcard watch of configmaps, then creates configmaps named
// same in wa's default and in wb's default and other namespaces.
func setupWildcard(t *testing.T) *wildcardFixture {
	s := harness.Start(t)
	f := &wildcardFixture{s: s}
	var pathA, pathB string
	pathA, f.clusterA = s.CreateWorkspace(t, "root", "wa")
	pathB, f.clusterB = s.CreateWorkspace(t, "root", "wb")
	ctx := context.Background()
	f.a, _ = s.Clients(t, pathA)
	f.b, _ = s.Clients(t, pathB)
	f.all, _ = s.Clients(t, "*")

	var err error
	f.w, err = f.all.CoreV1().ConfigMaps("").Watch(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	t.Cleanup(f.w.Stop)

	_, err = f.a.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "same"}, Data: map[string]string{"w": "a"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = f.b.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "same"}, Data: map[string]string{"w": "b"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = f.b.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = f.b.CoreV1().ConfigMaps("other").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "same"}, Data: map[string]string{"w": "b-other"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	return f
}

func TestWildcardListAndWatch(t *testing.T) {
	f := setupWildcard(t)
	t.Run("list spans workspaces", func(t *testing.T) { testWildcardList(t, f) })
	t.Run("namespaced list spans workspaces within the namespace", func(t *testing.T) { testWildcardNamespacedList(t, f) })
	t.Run("watch spans workspaces", func(t *testing.T) { testWildcardWatch(t, f) })
	t.Run("kubectl get -A across workspaces", func(t *testing.T) {
		out := f.s.Kubectl("*").MustRun(t, "get", "configmaps", "-A", "-o", "name", "--field-selector", "metadata.name=same")
		assert.Len(t, splitLines(out), 3, out)
	})
	t.Run("everything but list and watch is refused", func(t *testing.T) { testWildcardRefusesWrites(t, f) })
}

// testWildcardList checks that a wildcard list of configmaps returns every workspace's, told apart by cluster.
func testWildcardList(t *testing.T, f *wildcardFixture) {
	list, err := f.all.CoreV1().ConfigMaps("").List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	seen := map[string]string{}
	for _, cm := range list.Items {
		seen[cm.Annotations["gantry.dev/cluster"]+"/"+cm.Namespace+"/"+cm.Name] = cm.Data["w"]
	}
	assert.Equal(t, "a", seen[f.clusterA+"/default/same"])
	assert.Equal(t, "b", seen[f.clusterB+"/default/same"])
	assert.Equal(t, "b-other", seen[f.clusterB+"/other/same"])
}

// testWildcardNamespacedList checks that a wildcard list in one namespace returns that namespace's configmaps only.
func testWildcardNamespacedList(t *testing.T, f *wildcardFixture) {
	// Every namespace also has its kube-root-ca.crt, which a controller adds shortly after the namespace.
	list, err := f.all.CoreV1().ConfigMaps("other").List(context.Background(), metav1.ListOptions{FieldSelector: "metadata.name!=kube-root-ca.crt"})
	require.NoError(t, err)
	require.Len(t, list.Items, 1)
	assert.Equal(t, "b-other", list.Items[0].Data["w"])
}

// testWildcardWatch checks that the wildcard watch saw the configmaps created in both workspaces.
func testWildcardWatch(t *testing.T, f *wildcardFixture) {
	got := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for len(got) < 3 {
		select {
		case ev := <-f.w.ResultChan():
			if cm := ev.Object.(*corev1.ConfigMap); cm.Name == "same" { // not a namespace's kube-root-ca.crt
				got[cm.Annotations["gantry.dev/cluster"]+"/"+cm.Namespace] = true
			}
		case <-deadline:
			t.Fatalf("wildcard watch saw only %v", got)
		}
	}
	assert.True(t, got[f.clusterA+"/default"])
	assert.True(t, got[f.clusterB+"/default"])
	assert.True(t, got[f.clusterB+"/other"])
}

// testWildcardRefusesWrites checks that get and every write through the wildcard are forbidden and change nothing.
func testWildcardRefusesWrites(t *testing.T, f *wildcardFixture) {
	ctx, all := context.Background(), f.all
	_, err := all.CoreV1().ConfigMaps("default").Get(ctx, "same", metav1.GetOptions{})
	assert.True(t, apierrors.IsForbidden(err), "get: %v", err)
	_, err = all.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "x"}}, metav1.CreateOptions{})
	assert.True(t, apierrors.IsForbidden(err), "create: %v", err)
	err = all.CoreV1().ConfigMaps("default").Delete(ctx, "same", metav1.DeleteOptions{})
	assert.True(t, apierrors.IsForbidden(err), "delete: %v", err)
	err = all.CoreV1().ConfigMaps("default").DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
	assert.True(t, apierrors.IsForbidden(err), "deletecollection: %v", err)
	_, err = all.CoreV1().ConfigMaps("default").Patch(ctx, "same", "application/merge-patch+json", []byte(`{"data":{"w":"x"}}`), metav1.PatchOptions{})
	assert.True(t, apierrors.IsForbidden(err), "patch: %v", err)
	assert.Contains(t, err.Error(), "only list and watch")
	_, errOut, kerr := f.s.Kubectl("*").Run("create", "configmap", "nope")
	require.Error(t, kerr)
	assert.Contains(t, errOut, "forbidden")

	// Nothing changed.
	got, err := f.a.CoreV1().ConfigMaps("default").Get(ctx, "same", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "a", got.Data["w"])
	got, err = f.b.CoreV1().ConfigMaps("default").Get(ctx, "same", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "b", got.Data["w"])
}

// splitLines splits kubectl output into its lines (its fields, as names hold no spaces).
func splitLines(s string) []string {
	return strings.Fields(s)
}
