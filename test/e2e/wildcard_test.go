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

	"github.com/gantry-dev/gantry/test/harness"
)

func TestWildcardListAndWatch(t *testing.T) {
	s := harness.Start(t)
	pathA, clusterA := s.CreateWorkspace(t, "root", "wa")
	pathB, clusterB := s.CreateWorkspace(t, "root", "wb")
	ctx := context.Background()
	a, _ := s.Clients(t, pathA)
	b, _ := s.Clients(t, pathB)
	all, _ := s.Clients(t, "*")

	w, err := all.CoreV1().ConfigMaps("").Watch(ctx, metav1.ListOptions{})
	require.NoError(t, err)
	defer w.Stop()

	_, err = a.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "same"}, Data: map[string]string{"w": "a"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = b.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "same"}, Data: map[string]string{"w": "b"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = b.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = b.CoreV1().ConfigMaps("other").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "same"}, Data: map[string]string{"w": "b-other"}}, metav1.CreateOptions{})
	require.NoError(t, err)

	t.Run("list spans workspaces", func(t *testing.T) {
		list, err := all.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		seen := map[string]string{}
		for _, cm := range list.Items {
			seen[cm.Annotations["gantry.dev/cluster"]+"/"+cm.Namespace+"/"+cm.Name] = cm.Data["w"]
		}
		assert.Equal(t, "a", seen[clusterA+"/default/same"])
		assert.Equal(t, "b", seen[clusterB+"/default/same"])
		assert.Equal(t, "b-other", seen[clusterB+"/other/same"])
	})

	t.Run("namespaced list spans workspaces within the namespace", func(t *testing.T) {
		list, err := all.CoreV1().ConfigMaps("other").List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		require.Len(t, list.Items, 1)
		assert.Equal(t, "b-other", list.Items[0].Data["w"])
	})

	t.Run("watch spans workspaces", func(t *testing.T) {
		got := map[string]bool{}
		deadline := time.After(10 * time.Second)
		for len(got) < 3 {
			select {
			case ev := <-w.ResultChan():
				cm := ev.Object.(*corev1.ConfigMap)
				got[cm.Annotations["gantry.dev/cluster"]+"/"+cm.Namespace] = true
			case <-deadline:
				t.Fatalf("wildcard watch saw only %v", got)
			}
		}
		assert.True(t, got[clusterA+"/default"])
		assert.True(t, got[clusterB+"/default"])
		assert.True(t, got[clusterB+"/other"])
	})

	t.Run("kubectl get -A across workspaces", func(t *testing.T) {
		out := s.Kubectl("*").MustRun(t, "get", "configmaps", "-A", "-o", "name")
		assert.Len(t, splitLines(out), 3, out)
	})

	t.Run("everything but list and watch is refused", func(t *testing.T) {
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
		_, errOut, kerr := s.Kubectl("*").Run("create", "configmap", "nope")
		require.Error(t, kerr)
		assert.Contains(t, errOut, "forbidden")

		// Nothing changed.
		got, err := a.CoreV1().ConfigMaps("default").Get(ctx, "same", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "a", got.Data["w"])
		got, err = b.CoreV1().ConfigMaps("default").Get(ctx, "same", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, "b", got.Data["w"])
	})
}

func splitLines(s string) []string {
	return strings.Fields(s)
}
