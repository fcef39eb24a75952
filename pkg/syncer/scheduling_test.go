package syncer

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

func pendingPod(name string, labels map[string]string, message string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "gantry-x", Labels: labels},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
			Reason: corev1.PodReasonUnschedulable, Message: message}}}}
}

func TestUnschedulableReason(t *testing.T) {
	gpu := "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."
	assert.Equal(t, gpu, UnschedulableReason([]*corev1.Pod{pendingPod("a", nil, gpu), pendingPod("b", nil, gpu)}), "each message once")
	assert.Empty(t, UnschedulableReason([]*corev1.Pod{{}}), "a pod just created is not unschedulable")
}

func TestSchedulingConditionForWorkloads(t *testing.T) {
	indexer := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	gpu := "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."
	require.NoError(t, indexer.Add(pendingPod("llm-1", map[string]string{"app": "llm"}, gpu)))
	require.NoError(t, indexer.Add(pendingPod("other-1", map[string]string{"app": "other"}, "another reason")))
	s := &Syncer{pendingPods: corev1listers.NewPodLister(indexer)}
	deploy := &unstructured.Unstructured{Object: map[string]interface{}{
		"metadata": map[string]interface{}{"name": "llm", "namespace": "gantry-x"},
		"spec":     map[string]interface{}{"selector": map[string]interface{}{"matchLabels": map[string]interface{}{"app": "llm"}}},
		"status":   map[string]interface{}{"replicas": int64(1), "conditions": []interface{}{map[string]interface{}{"type": "Available", "status": "False"}}},
	}}
	got := s.withSchedulingCondition("apps", deploy)
	conditions, _, _ := unstructured.NestedSlice(got.Object, "status", "conditions")
	require.Len(t, conditions, 2)
	assert.Equal(t, map[string]interface{}{"type": ConditionPodScheduled, "status": "False", "reason": "Unschedulable", "message": gpu}, conditions[1])
	original, _, _ := unstructured.NestedSlice(deploy.Object, "status", "conditions")
	assert.Len(t, original, 1, "the downstream object is not changed")
	assert.Same(t, deploy, s.withSchedulingCondition("example.com", deploy), "a custom resource's status is its own")

	require.NoError(t, indexer.Delete(pendingPod("llm-1", map[string]string{"app": "llm"}, gpu)))
	assert.Same(t, deploy, s.withSchedulingCondition("apps", deploy), "scheduled: nothing added")
}

// TestReportsPendingPods: only workloads, whose status shows their unscheduled pods, follow pod scheduling.
func TestReportsPendingPods(t *testing.T) {
	for gvr, want := range map[schema.GroupVersionResource]bool{
		{Group: "apps", Version: "v1", Resource: "deployments"}:                           true,
		{Group: "apps", Version: "v1", Resource: "statefulsets"}:                          true,
		{Group: "batch", Version: "v1", Resource: "jobs"}:                                 true,
		{Group: "serving.gantry.dev", Version: "v1alpha1", Resource: "inferenceservices"}: false,
		{Group: "serving.gantry.dev", Version: "v1alpha1", Resource: "models"}:            false,
		{Version: "v1", Resource: "configmaps"}:                                           false,
		{Group: "example.com", Version: "v1", Resource: "widgets"}:                        false,
	} {
		assert.Equal(t, want, ReportsPendingPods(gvr), gvr.String())
	}
}
