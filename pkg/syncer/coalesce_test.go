package syncer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	clocktesting "k8s.io/utils/clock/testing"
)

// queueTestSyncer is a syncer with only a work queue on a fake clock and the downstream caches of the given
// resources, each holding the given copies: enough to see what its event handlers enqueue.
func queueTestSyncer(t *testing.T, copies map[schema.GroupVersionResource][]*unstructured.Unstructured) (*Syncer, *clocktesting.FakeClock) {
	t.Helper()
	clock := clocktesting.NewFakeClock(time.Now())
	s := &Syncer{coalesce: coalesceDelay, applied: newAppliedStates(), res: map[schema.GroupVersionResource]*resource{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[key](),
			workqueue.TypedRateLimitingQueueConfig[key]{Name: t.Name(), Clock: clock})}
	t.Cleanup(s.queue.ShutDown)
	for gvr, objs := range copies {
		inf := cache.NewSharedIndexInformer(&cache.ListWatch{}, &unstructured.Unstructured{}, 0,
			cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
		for _, obj := range objs {
			require.NoError(t, inf.GetIndexer().Add(obj))
		}
		s.res[gvr] = &resource{gvr: gvr, downstream: inf}
	}
	return s, clock
}

// downstreamCopy is a copy in the downstream namespace gantry-x of the upstream object c1|default/<name>, selecting
// the pods labeled app=<selects> (none when empty).
func downstreamCopy(name, selects string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]interface{}{"spec": map[string]interface{}{}}}
	u.SetName(name)
	u.SetNamespace("gantry-x")
	u.SetAnnotations(map[string]string{UpstreamAnnotation: encodeJSON(ObjectLocator{Cluster: "c1", Namespace: "default", Name: name})})
	if selects != "" {
		u.Object["spec"] = map[string]interface{}{"selector": map[string]interface{}{"matchLabels": map[string]interface{}{"app": selects}}}
	}
	return u
}

// queued drains the queue (it must hold want keys) and returns the names of what it held.
func queued(t *testing.T, s *Syncer, want int) []string {
	t.Helper()
	require.Eventually(t, func() bool { return s.queue.Len() == want }, 10*time.Second, time.Millisecond,
		"want %d keys queued, have %d", want, s.queue.Len())
	var names []string
	for range want {
		k, _ := s.queue.Get()
		names = append(names, k.Name)
		s.queue.Done(k)
	}
	return names
}

// TestDownstreamChangesCoalesce: the changes of a copy within coalesceDelay make one reconcile of its upstream
// object, after the delay, while a deletion is reconciled at once.
func TestDownstreamChangesCoalesce(t *testing.T) {
	deployments := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	s, clock := queueTestSyncer(t, nil)
	web := downstreamCopy("web", "web")
	for range 3 { // say: created, its ReplicaSet created, its pod scheduled
		s.downstreamChanged(deployments, web)
	}
	assert.Zero(t, s.queue.Len(), "nothing reconciled before the delay")
	clock.Step(coalesceDelay)
	assert.Equal(t, []string{"web"}, queued(t, s, 1), "three changes, one reconcile")

	s.downstreamDeleted(deployments, web)
	k, _ := s.queue.Get()
	assert.Equal(t, key{GVR: deployments, Cluster: "c1", Namespace: "default", Name: "web"}, k, "a deletion at once, before its namespace")
	s.queue.Done(k)
	assert.Equal(t, []string{""}, queued(t, s, 1), "then the namespace, to remove once empty")
}

// TestPendingPodEnqueuesTheWorkloadsSelectingIt: a pod's scheduling changes the status of the workloads whose
// selector selects it, and of no other object of its namespace.
func TestPendingPodEnqueuesTheWorkloadsSelectingIt(t *testing.T) {
	deployments := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	widgets := schema.GroupVersionResource{Group: "example.dev", Version: "v1", Resource: "widgets"}
	s, clock := queueTestSyncer(t, map[schema.GroupVersionResource][]*unstructured.Unstructured{
		deployments: {downstreamCopy("web", "web"), downstreamCopy("db", "db"), downstreamCopy("unselective", "")},
		widgets:     {downstreamCopy("widget", "web")}, // not a workload: its status never shows pods
	})
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "gantry-x", Labels: map[string]string{"app": "web"}}}
	s.podSchedulingChanged(pod) // pending
	s.podSchedulingChanged(pod) // scheduled: it leaves the informer
	other := pod.DeepCopy()
	other.Namespace = "gantry-y"
	s.podSchedulingChanged(other)
	clock.Step(coalesceDelay)
	assert.Equal(t, []string{"web"}, queued(t, s, 1))
}
