package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/test/harness"
)

func TestRestartKeepsEverything(t *testing.T) {
	s := harness.Start(t)
	ctx := context.Background()
	// Two siblings, each with a child of the same name and objects of the same names: a restart refills every cache
	// from etcd, and nothing may collapse across workspaces.
	type ws struct{ path, cluster, child string }
	var all []ws
	for _, name := range []string{"durable", "other"} {
		path, cluster := s.CreateWorkspace(t, "root", name)
		child, _ := s.CreateWorkspace(t, path, "child")
		all = append(all, ws{path, cluster, child})
	}
	write := func(name string) {
		for _, w := range all {
			c, _ := s.Clients(t, w.child)
			_, err := c.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"v": w.path}}, metav1.CreateOptions{})
			require.NoError(t, err)
		}
	}
	check := func(names ...string) {
		t.Helper()
		for _, w := range all {
			for _, p := range []string{w.path, w.cluster, w.child} {
				c, _ := s.Clients(t, p)
				_, err := c.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{})
				require.NoError(t, err, "default namespace of %s after restart", p)
			}
			c, _ := s.Clients(t, w.child)
			for _, n := range names {
				got, err := c.CoreV1().ConfigMaps("default").Get(ctx, n, metav1.GetOptions{})
				require.NoError(t, err, "configmap %s in %s after restart", n, w.child)
				assert.Equal(t, w.path, got.Data["v"])
			}
			// Lists come from the watch cache: each workspace lists its own, and its namespace's kube-root-ca.crt.
			list, err := c.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{ResourceVersion: "0"})
			require.NoError(t, err)
			assert.Len(t, list.Items, len(names)+1, "configmaps listed in %s", w.child)
			assert.Equal(t, "Ready", s.Kubectl(w.path).MustRun(t, "get", "workspace", "child", "-o", "jsonpath={.status.phase}"))
		}
	}

	write("before-sigterm")
	s.Stop(syscall.SIGTERM)
	s.Restart()
	check("before-sigterm")

	write("before-sigkill")
	s.Stop(syscall.SIGKILL)
	s.Restart()
	check("before-sigterm", "before-sigkill")

	// A workspace created after the restarts still works.
	newPath, _ := s.CreateWorkspace(t, all[0].path, "after")
	s.Kubectl(newPath).MustRun(t, "create", "configmap", "x")
}

func TestDeletingAWorkspaceRemovesItsContentAndChildren(t *testing.T) {
	s := harness.Start(t)
	ctx := context.Background()
	doomed, doomedCluster := s.CreateWorkspace(t, "root", "doomed")
	child, childCluster := s.CreateWorkspace(t, doomed, "child")
	grandchild, grandchildCluster := s.CreateWorkspace(t, child, "grandchild")
	keep, _ := s.CreateWorkspace(t, "root", "keep")
	for _, p := range []string{doomed, child, grandchild, keep} {
		s.Kubectl(p).MustRun(t, "create", "configmap", "data", "--from-literal=k=v")
		s.Kubectl(p).MustRun(t, "create", "namespace", "ml")
		s.Kubectl(p).MustRun(t, "create", "secret", "generic", "s", "-n", "ml", "--from-literal=k=v")
	}

	s.Kubectl("root").MustRun(t, "delete", "workspace", "doomed", "--wait=false")
	_, rootDyn := s.Clients(t, "root")
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := rootDyn.Resource(harness.WorkspacesGVR).Get(ctx, "doomed", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	require.NoError(t, err, "the workspace object must go away once its content is erased")

	cfg, err := s.RESTConfig("root")
	require.NoError(t, err)
	httpClient, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	for _, ref := range []string{doomed, child, grandchild, doomedCluster, childCluster, grandchildCluster} {
		resp, err := httpClient.Get(fmt.Sprintf("%s/api/v1/namespaces", s.URL(ref)))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "workspace %s must be gone", ref)
	}

	// Everything stored in the deleted clusters is gone, the sibling is untouched.
	_, all := s.Clients(t, "*")
	gone := []string{doomedCluster, childCluster, grandchildCluster}
	for _, gvr := range []schema.GroupVersionResource{
		corev1.SchemeGroupVersion.WithResource("configmaps"),
		corev1.SchemeGroupVersion.WithResource("secrets"),
		corev1.SchemeGroupVersion.WithResource("namespaces"),
		harness.WorkspacesGVR,
	} {
		list, err := all.Resource(gvr).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		for _, o := range list.Items {
			assert.NotContains(t, gone, o.GetAnnotations()["gantry.dev/cluster"], "%s %s/%s survived", gvr.Resource, o.GetNamespace(), o.GetName())
		}
	}
	assert.Equal(t, "dg==", s.Kubectl(keep).MustRun(t, "get", "secret", "s", "-n", "ml", "-o", "jsonpath={.data.k}"))
	s.Kubectl(keep).MustRun(t, "get", "configmap", "data")

	// The name can be used again and starts empty.
	again, againCluster := s.CreateWorkspace(t, "root", "doomed")
	assert.NotEqual(t, doomedCluster, againCluster)
	assert.Equal(t, "configmap/kube-root-ca.crt\n", s.Kubectl(again).MustRun(t, "get", "configmaps", "-o", "name"), "only what every namespace has")
	assert.Equal(t, "namespace/default\n", s.Kubectl(again).MustRun(t, "get", "namespaces", "-o", "name"))
}

// TestWorkspaceDeleteMarksTerminatingAndKeepsOtherFinalizers checks what a workspace's DELETE writes and what the
// teardown leaves to others: the DELETE itself answers with the workspace Terminating (the phase is set in the
// same write as deletionTimestamp, a dry run writes nothing), the controller erases the content and drops only its
// own finalizer, a finalizer of someone else keeps the object until that one is removed, and a sibling loses
// nothing.
func TestWorkspaceDeleteMarksTerminatingAndKeepsOtherFinalizers(t *testing.T) {
	s := harness.Start(t)
	ctx := context.Background()
	marked, markedCluster := s.CreateWorkspace(t, "root", "marked")
	sibling, siblingCluster := s.CreateWorkspace(t, "root", "sibling")
	for _, p := range []string{marked, sibling} {
		s.Kubectl(p).MustRun(t, "create", "configmap", "data", "--from-literal=k=v")
		s.Kubectl(p).MustRun(t, "create", "secret", "generic", "s", "--from-literal=k=v")
	}
	const hold = "example.com/hold"
	s.Kubectl("root").MustRun(t, "patch", "workspace", "marked", "--type=json",
		"-p", `[{"op":"add","path":"/metadata/finalizers/-","value":"`+hold+`"}]`)

	rootKube, rootDyn := s.Clients(t, "root")
	deleteRaw := func(dryRun bool) *tenancyv1alpha1.Workspace {
		t.Helper()
		req := rootKube.Discovery().RESTClient().Delete().AbsPath("/apis/tenancy.gantry.dev/v1alpha1/workspaces/marked")
		if dryRun {
			req = req.Param("dryRun", "All")
		}
		body, err := req.Do(ctx).Raw()
		require.NoError(t, err)
		ws := &tenancyv1alpha1.Workspace{}
		require.NoError(t, json.Unmarshal(body, ws), "the DELETE of a workspace with finalizers answers with the object")
		return ws
	}
	get := func(name string) *tenancyv1alpha1.Workspace {
		t.Helper()
		u, err := rootDyn.Resource(harness.WorkspacesGVR).Get(ctx, name, metav1.GetOptions{})
		require.NoError(t, err)
		ws := &tenancyv1alpha1.Workspace{}
		require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, ws))
		return ws
	}

	dry := deleteRaw(true)
	assert.NotNil(t, dry.DeletionTimestamp, "a dry-run DELETE answers with deletionTimestamp set")
	assert.Equal(t, tenancyv1alpha1.WorkspacePhaseTerminating, dry.Status.Phase, "a dry-run DELETE answers with the phase it would write")
	stored := get("marked")
	assert.Nil(t, stored.DeletionTimestamp, "a dry-run DELETE writes nothing")
	assert.Equal(t, tenancyv1alpha1.WorkspacePhaseReady, stored.Status.Phase, "a dry-run DELETE writes nothing")

	deleted := deleteRaw(false)
	require.NotNil(t, deleted.DeletionTimestamp)
	assert.Equal(t, tenancyv1alpha1.WorkspacePhaseTerminating, deleted.Status.Phase,
		"the DELETE answers with the workspace Terminating: deletionTimestamp and phase are one write")
	assert.ElementsMatch(t, []string{"tenancy.gantry.dev/content", hold}, deleted.Finalizers)

	// The controller erases the content and drops its own finalizer; the other one keeps the object.
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		ws := get("marked")
		return len(ws.Finalizers) == 1 && ws.Finalizers[0] == hold, nil
	})
	require.NoError(t, err, "the workspace controller must drop its finalizer, and only its own")
	assert.Equal(t, tenancyv1alpha1.WorkspacePhaseTerminating, get("marked").Status.Phase)
	_, all := s.Clients(t, "*")
	for _, gvr := range []schema.GroupVersionResource{
		corev1.SchemeGroupVersion.WithResource("configmaps"),
		corev1.SchemeGroupVersion.WithResource("secrets"),
		corev1.SchemeGroupVersion.WithResource("namespaces"),
	} {
		list, err := all.Resource(gvr).List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		siblings := 0
		for _, o := range list.Items {
			switch o.GetAnnotations()["gantry.dev/cluster"] {
			case markedCluster:
				t.Errorf("%s %s/%s of the deleted workspace survived its erasure", gvr.Resource, o.GetNamespace(), o.GetName())
			case siblingCluster:
				siblings++
			}
		}
		assert.NotZero(t, siblings, "the sibling keeps its %s", gvr.Resource)
	}
	assert.Equal(t, "v", s.Kubectl(sibling).MustRun(t, "get", "configmap", "data", "-o", "jsonpath={.data.k}"))
	assert.Equal(t, "dg==", s.Kubectl(sibling).MustRun(t, "get", "secret", "s", "-o", "jsonpath={.data.k}"))
	assert.Equal(t, tenancyv1alpha1.WorkspacePhaseReady, get("sibling").Status.Phase)

	// Removing the last finalizer deletes the object.
	s.Kubectl("root").MustRun(t, "patch", "workspace", "marked", "--type=json", "-p", `[{"op":"remove","path":"/metadata/finalizers/0"}]`)
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := rootDyn.Resource(harness.WorkspacesGVR).Get(ctx, "marked", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	require.NoError(t, err, "the workspace goes once its last finalizer is removed")
}
