package syncer

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

func upstreamWidget() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "example.com/v1",
		"kind":       "Widget",
		"metadata": map[string]interface{}{
			"name": "w1", "namespace": "default", "uid": "u-1", "resourceVersion": "42", "generation": int64(3),
			"creationTimestamp": "2026-01-01T00:00:00Z", "deletionTimestamp": "2026-01-02T00:00:00Z",
			"finalizers":      []interface{}{"workload.gantry.dev/syncer-abc"},
			"ownerReferences": []interface{}{map[string]interface{}{"apiVersion": "v1", "kind": "ConfigMap", "name": "o", "uid": "u-2"}},
			"managedFields":   []interface{}{map[string]interface{}{"manager": "kubectl"}},
			"labels": map[string]interface{}{
				"app": "train", computev1alpha1.StateLabelPrefix + "abc": "Sync", SyncTargetLabel: "spoofed",
			},
			"annotations": map[string]interface{}{
				"team": "a", computev1alpha1.ClusterAnnotation: "c1", UpstreamAnnotation: "spoofed",
			},
		},
		"spec":   map[string]interface{}{"size": int64(5), "nested": map[string]interface{}{"x": "y"}},
		"status": map[string]interface{}{"phase": "Running"},
	}}
}

func TestDownstreamObject(t *testing.T) {
	up := upstreamWidget()
	down := DownstreamObject(up, "gantry-0123456789abcdef", "key1")
	want := map[string]interface{}{
		"apiVersion": "example.com/v1",
		"kind":       "Widget",
		"metadata": map[string]interface{}{
			"name": "w1", "namespace": "gantry-0123456789abcdef",
			"labels": map[string]interface{}{"app": "train", SyncTargetLabel: "key1"},
			"annotations": map[string]interface{}{
				"team": "a", UpstreamAnnotation: `{"cluster":"c1","namespace":"default","name":"w1"}`,
				UpstreamGenerationAnnotation: "3",
			},
		},
		"spec": map[string]interface{}{"size": int64(5), "nested": map[string]interface{}{"x": "y"}},
	}
	assert.Equal(t, want, down.Object)
	down.Object["spec"].(map[string]interface{})["nested"].(map[string]interface{})["x"] = "changed"
	assert.Equal(t, "y", up.Object["spec"].(map[string]interface{})["nested"].(map[string]interface{})["x"], "no sharing with the cache")
}

func TestStatusToCopy(t *testing.T) {
	up := upstreamWidget()
	down := DownstreamObject(up, "ns", "k")
	_, changed := StatusToCopy(up, down)
	assert.False(t, changed, "a copy without status never clears the upstream one")
	down.Object["status"] = map[string]interface{}{}
	_, changed = StatusToCopy(up, down)
	assert.False(t, changed)
	down.Object["status"] = map[string]interface{}{"phase": "Running"}
	_, changed = StatusToCopy(up, down)
	assert.False(t, changed, "equal")
	down.Object["status"] = map[string]interface{}{"phase": "Done"}
	status, changed := StatusToCopy(up, down)
	assert.True(t, changed)
	assert.Equal(t, map[string]interface{}{"phase": "Done"}, status)
}

// TestStatusToCopyTranslatesObservedGeneration: a current downstream status says it observed the upstream
// generation the syncer applied; a stale one, or one of a copy without the annotation, is copied as it is.
func TestStatusToCopyTranslatesObservedGeneration(t *testing.T) {
	up := upstreamWidget() // generation 3
	up.Object["status"] = map[string]interface{}{"phase": "Running", "observedGeneration": int64(3)}
	downstream := func(generation, observed int64) *unstructured.Unstructured {
		down := DownstreamObject(up, "ns", "k")
		down.SetGeneration(generation)
		down.Object["status"] = map[string]interface{}{"phase": "Running", "observedGeneration": observed}
		return down
	}

	_, changed := StatusToCopy(up, downstream(1, 1))
	assert.False(t, changed, "downstream generation 1 is upstream generation 3: nothing to write")

	down := downstream(1, 1)
	down.Object["status"].(map[string]interface{})["phase"] = "Failed"
	status, changed := StatusToCopy(up, down)
	require.True(t, changed)
	assert.Equal(t, map[string]interface{}{"phase": "Failed", "observedGeneration": int64(3)}, status)
	assert.Equal(t, int64(1), down.Object["status"].(map[string]interface{})["observedGeneration"], "the cache is not changed")

	status, changed = StatusToCopy(up, downstream(2, 1))
	require.True(t, changed)
	assert.Equal(t, int64(1), status.(map[string]interface{})["observedGeneration"], "a stale status is left alone")

	view, changed, err := StatusAnnotationToWrite(up, downstream(1, 1), "status.workload.gantry.dev/k")
	require.NoError(t, err)
	require.True(t, changed)
	assert.JSONEq(t, `{"phase":"Running","observedGeneration":3}`, view, "a cluster's view is translated too")

	down = downstream(1, 1)
	anns := down.GetAnnotations()
	delete(anns, UpstreamGenerationAnnotation)
	down.SetAnnotations(anns)
	status, changed = StatusToCopy(up, down)
	require.True(t, changed)
	assert.Equal(t, int64(1), status.(map[string]interface{})["observedGeneration"], "without the annotation nothing is translated")

	down = downstream(1, 1)
	anns = down.GetAnnotations()
	anns[UpstreamGenerationAnnotation] = "not-a-number"
	down.SetAnnotations(anns)
	status, changed = StatusToCopy(up, down)
	require.True(t, changed)
	assert.Equal(t, int64(1), status.(map[string]interface{})["observedGeneration"], "a malformed annotation is ignored")
}

// TestDownstreamObjectIgnoresUpstreamGenerationSpoofing: a user's own annotation of the syncer's key never reaches
// the copy; the syncer writes the real generation.
func TestDownstreamObjectIgnoresUpstreamGenerationSpoofing(t *testing.T) {
	up := upstreamWidget()
	anns := up.GetAnnotations()
	anns[UpstreamGenerationAnnotation] = "99"
	up.SetAnnotations(anns)
	assert.Equal(t, "3", DownstreamObject(up, "ns", "k").GetAnnotations()[UpstreamGenerationAnnotation])
	up.SetGeneration(0)
	_, found := DownstreamObject(up, "ns", "k").GetAnnotations()[UpstreamGenerationAnnotation]
	assert.False(t, found, "no generation, no annotation")
}

func TestStatusPatch(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC))
	raw, err := StatusPatch(now, ComputeFuel(nil, nil), "v1", nil)
	require.NoError(t, err)
	var got map[string]map[string]interface{}
	require.NoError(t, json.Unmarshal(raw, &got))
	assert.Equal(t, "2026-12-02T10:00:00Z", got["status"]["lastHeartbeatTime"])
	assert.Equal(t, []interface{}{}, got["status"]["gpus"], "written as [] so that rows that went away are removed")
	assert.Equal(t, []interface{}{}, got["status"]["syncedResources"])
	assert.NotContains(t, got["status"], "conditions", "the server owns Ready")
}

func TestDownstreamCRD(t *testing.T) {
	up := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "v1.widgets.example.com.identityhash", UID: "u", ResourceVersion: "9",
			Annotations: map[string]string{computev1alpha1.ClusterAnnotation: "provider"}},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Kind: "Widget"}},
		Status: apiextensionsv1.CustomResourceDefinitionStatus{AcceptedNames: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets"}},
	}
	crd, err := DownstreamCRD(up, "key1")
	require.NoError(t, err)
	assert.Equal(t, "widgets.example.com", crd.GetName())
	assert.Equal(t, map[string]string{SyncTargetLabel: "key1"}, crd.GetLabels())
	assert.Empty(t, crd.GetAnnotations())
	assert.Empty(t, crd.GetUID())
	_, hasStatus := crd.Object["status"]
	assert.False(t, hasStatus)
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	assert.Equal(t, "example.com", group)
}

func TestServedResourcesFromDiscovery(t *testing.T) {
	groups := []*metav1.APIGroup{
		{Name: "example.com", PreferredVersion: metav1.GroupVersionForDiscovery{GroupVersion: "example.com/v1"}},
		{Name: "", PreferredVersion: metav1.GroupVersionForDiscovery{GroupVersion: "v1"}},
	}
	all := metav1.Verbs{"get", "list", "watch", "update", "patch"}
	lists := []*metav1.APIResourceList{
		{GroupVersion: "example.com/v1", APIResources: []metav1.APIResource{
			{Name: "widgets", Namespaced: true, Verbs: all},
			{Name: "widgets/status", Namespaced: true, Verbs: metav1.Verbs{"get", "update", "patch"}},
			{Name: "gadgets", Namespaced: true, Verbs: all},
			{Name: "clusterthings", Namespaced: false, Verbs: all},
			{Name: "readonly", Namespaced: true, Verbs: metav1.Verbs{"get", "list", "watch"}},
		}},
		{GroupVersion: "example.com/v1beta1", APIResources: []metav1.APIResource{{Name: "widgets", Namespaced: true, Verbs: all}}},
		{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "configmaps", Namespaced: true, Verbs: all}}},
	}
	got := servedResources(groups, lists)
	assert.Equal(t, []served{
		{gvr: schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}},
		{gvr: schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "gadgets"}},
		{gvr: schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}, status: true},
	}, got, "preferred versions only, namespaced and writable, status subresource noted")
}
