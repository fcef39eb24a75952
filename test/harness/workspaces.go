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
	path = fmt.Sprintf("%s:%s", parent, name)
	s.WaitNamespaceDefaults(t, path, "default")
	return path, cluster
}

// WaitNamespaceDefaults waits until namespace ns of a workspace has its ServiceAccount "default" and its ConfigMap
// kube-root-ca.crt, which a controller adds shortly after the namespace appears; Kubernetes' e2e framework waits
// for the default ServiceAccount the same way. Tests that compare a workspace's objects before and after a step
// wait for them first, so that their arrival is not taken for a change.
func (s *Server) WaitNamespaceDefaults(t testing.TB, workspace, ns string) {
	t.Helper()
	client, _ := s.Clients(t, workspace)
	var lastErr error
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		if _, lastErr = client.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); lastErr != nil {
			return false, nil
		}
		_, lastErr = client.CoreV1().ConfigMaps(ns).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return lastErr == nil, nil
	})
	if err != nil {
		t.Fatalf("namespace %s of %s has no default ServiceAccount or kube-root-ca.crt: %v (last: %v)", ns, workspace, err, lastErr)
	}
}
