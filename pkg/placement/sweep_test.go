package placement

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

var deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

// patchGate wraps a namespace's client: each Patch waits until sweepConcurrency patches are in flight at once, or
// until the first one gave up waiting after timeout (recorded in gaveUp: a sweep that patches one at a time is
// reported, not stuck), and the names in refuse get the error given instead of a patch.
type patchGate struct {
	dynamic.ResourceInterface
	timeout time.Duration
	refuse  map[string]error

	mu       sync.Mutex
	inFlight int
	together chan struct{} // closed once sweepConcurrency patches were in flight at once, or one gave up
	once     sync.Once
	gaveUp   bool
}

func (g *patchGate) Patch(ctx context.Context, name string, pt types.PatchType, data []byte, options metav1.PatchOptions,
	subresources ...string) (*unstructured.Unstructured, error) {
	g.mu.Lock()
	g.inFlight++
	if g.inFlight == sweepConcurrency {
		g.once.Do(func() { close(g.together) })
	}
	g.mu.Unlock()
	defer func() { g.mu.Lock(); g.inFlight--; g.mu.Unlock() }()
	select {
	case <-g.together:
	case <-time.After(g.timeout):
		g.mu.Lock()
		g.gaveUp = true
		g.mu.Unlock()
		g.once.Do(func() { close(g.together) })
	}
	if err, ok := g.refuse[name]; ok {
		return nil, err
	}
	return g.ResourceInterface.Patch(ctx, name, pt, data, options, subresources...)
}

// deploymentsIn returns a fake client holding n Deployments app-<i> in namespace ns, each with the given labels.
func deploymentsIn(ns string, n int, labels map[string]string) dynamic.Interface {
	objects := make([]runtime.Object, 0, n)
	for i := 0; i < n; i++ {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("apps/v1")
		u.SetKind("Deployment")
		u.SetNamespace(ns)
		u.SetName(fmt.Sprintf("app-%d", i))
		u.SetLabels(labels)
		objects = append(objects, u)
	}
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{deploymentsGVR: "DeploymentList"}, objects...)
}

// TestSweepRelabelsManyObjectsAtOnce: moving a namespace from target a to b relabels every object (a turns
// Delete, b Sync), sweepConcurrency of them at a time, so that a failover of many objects does not wait for one
// write after another.
func TestSweepRelabelsManyObjectsAtOnce(t *testing.T) {
	a, b := computev1alpha1.StateLabelPrefix+"a", computev1alpha1.StateLabelPrefix+"b"
	syncState, del := computev1alpha1.ResourceStateSync, computev1alpha1.ResourceStateDelete
	n := 3 * sweepConcurrency
	client := deploymentsIn("team", n, map[string]string{"app": "x", a: syncState}).Resource(deploymentsGVR).Namespace("team")
	gate := &patchGate{ResourceInterface: client, timeout: 10 * time.Second, together: make(chan struct{})}

	require.NoError(t, sweepResource(context.Background(), gate, "deployments", map[string]string{b: syncState}))

	assert.False(t, gate.gaveUp, "never %d patches in flight at once", sweepConcurrency)
	list, err := client.List(context.Background(), metav1.ListOptions{})
	require.NoError(t, err)
	require.Len(t, list.Items, n)
	for _, obj := range list.Items {
		assert.Equal(t, map[string]string{"app": "x", a: del, b: syncState}, obj.GetLabels(), obj.GetName())
	}
}

// TestSweepReportsAFailedPatch: an object refused is reported as the sweep's error (the namespace is retried)
// while the others are relabeled; an object deleted since the list is no error.
func TestSweepReportsAFailedPatch(t *testing.T) {
	b := computev1alpha1.StateLabelPrefix + "b"
	syncState := computev1alpha1.ResourceStateSync
	n := sweepConcurrency
	client := deploymentsIn("team", n, nil).Resource(deploymentsGVR).Namespace("team")
	gate := &patchGate{ResourceInterface: client, timeout: 10 * time.Second, together: make(chan struct{}),
		refuse: map[string]error{
			"app-3": apierrors.NewForbidden(deploymentsGVR.GroupResource(), "app-3", fmt.Errorf("no")),
			"app-5": apierrors.NewNotFound(deploymentsGVR.GroupResource(), "app-5"),
		}}

	err := sweepResource(context.Background(), gate, "deployments", map[string]string{b: syncState})
	require.Error(t, err)
	assert.True(t, apierrors.IsForbidden(err), "the refusal, not the object gone: %v", err)
	list, listErr := client.List(context.Background(), metav1.ListOptions{})
	require.NoError(t, listErr)
	for _, obj := range list.Items {
		if name := obj.GetName(); name == "app-3" || name == "app-5" {
			assert.Empty(t, obj.GetLabels(), name)
		} else {
			assert.Equal(t, map[string]string{b: syncState}, obj.GetLabels(), name)
		}
	}
}
