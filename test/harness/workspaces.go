package harness

import (
	"context"
	"fmt"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// WorkspacesGVR is the resource of Workspace objects.
var WorkspacesGVR = schema.GroupVersionResource{Group: "tenancy.gantry.dev", Version: "v1alpha1", Resource: "workspaces"}

// Clients returns a typed and a dynamic admin client for a workspace.
func (s *Server) Clients(t testing.TB, workspace string) (kubernetes.Interface, dynamic.Interface) {
	t.Helper()
	cfg, err := s.RESTConfig(workspace)
	if err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(cfg), dynamic.NewForConfigOrDie(cfg)
}

// CreateWorkspace creates workspace name in parent (a path) and waits until it is Ready. It returns the new
// workspace's path and logical cluster name.
func (s *Server) CreateWorkspace(t testing.TB, parent, name string) (path, cluster string) {
	t.Helper()
	_, dyn := s.Clients(t, parent)
	ws := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "tenancy.gantry.dev/v1alpha1", "kind": "Workspace", "metadata": map[string]interface{}{"name": name},
	}}
	if _, err := dyn.Resource(WorkspacesGVR).Create(context.Background(), ws, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("creating workspace %s in %s: %v", name, parent, err)
	}
	return s.WaitWorkspaceReady(t, parent, name)
}

// WaitWorkspaceReady waits for workspace name in parent to be Ready.
func (s *Server) WaitWorkspaceReady(t testing.TB, parent, name string) (path, cluster string) {
	t.Helper()
	_, dyn := s.Clients(t, parent)
	var last *unstructured.Unstructured
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := dyn.Resource(WorkspacesGVR).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = got
		phase, _, _ := unstructured.NestedString(got.Object, "status", "phase")
		return phase == "Ready", nil
	})
	if err != nil {
		t.Fatalf("workspace %s:%s not Ready: %v (last: %v)", parent, name, err, last)
	}
	cluster, _, _ = unstructured.NestedString(last.Object, "spec", "cluster")
	return fmt.Sprintf("%s:%s", parent, name), cluster
}
