package syncer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"

	"github.com/gantry-dev/gantry/sdk"
)

var (
	deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	servicesGVR    = schema.GroupVersionResource{Group: "serving.gantry.dev", Version: "v1alpha1", Resource: "inferenceservices"}
)

// eventCopierFixture has two synced resources, Deployments and InferenceServices, each with one copy downstream
// and its upstream object in workspace "team-a"; and, in the metadata caches, the pods and ReplicaSets under them
// and the Deployment an operator made for the InferenceService.
func eventCopierFixture(t *testing.T) *eventCopier {
	s := &Syncer{res: map[schema.GroupVersionResource]*resource{}}
	synced := func(gvr schema.GroupVersionResource, kind, name, downUID, upstreamName string) {
		r := &resource{gvr: gvr,
			upstream:   sdk.NewWildcardInformer(&cache.ListWatch{}, &unstructured.Unstructured{}),
			downstream: cache.NewSharedIndexInformer(&cache.ListWatch{}, &unstructured.Unstructured{}, 0, cache.Indexers{})}
		copied := &unstructured.Unstructured{}
		copied.SetAPIVersion(gvr.GroupVersion().String())
		copied.SetKind(kind)
		copied.SetNamespace("gantry-abc")
		copied.SetName(name)
		copied.SetUID(types.UID(downUID))
		copied.SetAnnotations(map[string]string{UpstreamAnnotation: encodeJSON(ObjectLocator{Cluster: "team-a", Namespace: "default", Name: upstreamName})})
		require.NoError(t, r.downstream.GetStore().Add(copied))
		up := &unstructured.Unstructured{}
		up.SetAPIVersion(gvr.GroupVersion().String())
		up.SetKind(kind)
		up.SetNamespace("default")
		up.SetName(upstreamName)
		up.SetUID("up-" + types.UID(upstreamName))
		up.SetAnnotations(map[string]string{sdk.ClusterAnnotation: "team-a"})
		require.NoError(t, r.upstream.Indexer().Add(up))
		s.res[gvr] = r
	}
	synced(deploymentsGVR, "Deployment", "web", "d-web", "web")
	synced(servicesGVR, "InferenceService", "llm", "d-llm", "llm")

	c := &eventCopier{s: s, owners: map[schema.GroupVersionKind]cache.GenericLister{}}
	indexers := map[schema.GroupVersionKind]cache.Indexer{}
	for gvk, gvr := range ownerKinds {
		indexers[gvk] = cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
		c.owners[gvk] = cache.NewGenericLister(indexers[gvk], gvr.GroupResource())
	}
	meta := func(kind, name, uid string, owner *metav1.OwnerReference) {
		m := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: "gantry-abc", Name: name, UID: types.UID(uid)}}
		if owner != nil {
			m.OwnerReferences = []metav1.OwnerReference{*owner}
		}
		for gvk := range ownerKinds {
			if gvk.Kind == kind {
				require.NoError(t, indexers[gvk].Add(m))
			}
		}
	}
	controller := func(apiVersion, kind, name, uid string) *metav1.OwnerReference {
		yes := true
		return &metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: types.UID(uid), Controller: &yes}
	}
	meta("ReplicaSet", "web-1", "rs-web", controller("apps/v1", "Deployment", "web", "d-web"))
	meta("Pod", "web-1-a", "p-web", controller("apps/v1", "ReplicaSet", "web-1", "rs-web"))
	meta("Deployment", "llm-predictor", "d-pred", controller("serving.gantry.dev/v1alpha1", "InferenceService", "llm", "d-llm"))
	meta("ReplicaSet", "llm-predictor-1", "rs-pred", controller("apps/v1", "Deployment", "llm-predictor", "d-pred"))
	meta("Pod", "llm-predictor-1-a", "p-pred", controller("apps/v1", "ReplicaSet", "llm-predictor-1", "rs-pred"))
	meta("Pod", "stray", "p-stray", nil)
	meta("ReplicaSet", "loop-a", "rs-a", controller("apps/v1", "ReplicaSet", "loop-b", "rs-b"))
	meta("ReplicaSet", "loop-b", "rs-b", controller("apps/v1", "ReplicaSet", "loop-a", "rs-a"))
	meta("Pod", "gone-owner", "p-gone", controller("apps/v1", "ReplicaSet", "deleted", "rs-deleted"))
	return c
}

// A downstream event's object is mapped up its controller owners to the upstream object of the first copy of
// ours: a pod to the synced Deployment, a pod of an operator's Deployment to the synced InferenceService.
func TestEventSubjectOf(t *testing.T) {
	c := eventCopierFixture(t)
	ref := func(apiVersion, kind, name, uid string) corev1.ObjectReference {
		return corev1.ObjectReference{APIVersion: apiVersion, Kind: kind, Namespace: "gantry-abc", Name: name, UID: types.UID(uid)}
	}
	for name, c2 := range map[string]struct {
		ref  corev1.ObjectReference
		want string
	}{
		"a pod of a synced Deployment":              {ref("v1", "Pod", "web-1-a", "p-web"), "Deployment/web"},
		"its ReplicaSet":                            {ref("apps/v1", "ReplicaSet", "web-1", ""), "Deployment/web"},
		"the synced Deployment itself":              {ref("apps/v1", "Deployment", "web", "d-web"), "Deployment/web"},
		"a pod of an InferenceService's Deployment": {ref("v1", "Pod", "llm-predictor-1-a", "p-pred"), "InferenceService/llm"},
		"the operator's Deployment":                 {ref("apps/v1", "Deployment", "llm-predictor", ""), "InferenceService/llm"},
		"the synced InferenceService":               {ref("serving.gantry.dev/v1alpha1", "InferenceService", "llm", ""), "InferenceService/llm"},
	} {
		subject, ok := c.subjectOf(c2.ref)
		require.True(t, ok, name)
		assert.Equal(t, "team-a", subject.cluster, name)
		assert.Equal(t, c2.want, subject.object.GetKind()+"/"+subject.object.GetName(), name)
		assert.Equal(t, "default", subject.object.GetNamespace(), name)
	}
	for name, r := range map[string]corev1.ObjectReference{
		"a pod nothing owns":              ref("v1", "Pod", "stray", ""),
		"another object of the same name": ref("v1", "Pod", "web-1-a", "p-other"),
		"an owner cycle":                  ref("apps/v1", "ReplicaSet", "loop-a", ""),
		"an owner not in the caches":      ref("v1", "Pod", "gone-owner", ""),
		"a kind the copier does not walk": ref("v1", "Service", "web", ""),
		"a copy with another UID":         ref("apps/v1", "Deployment", "web", "d-other"),
		"a bad apiVersion":                ref("a/b/c", "Pod", "web-1-a", ""),
	} {
		_, ok := c.subjectOf(r)
		assert.False(t, ok, name)
	}
}

// The copy of a downstream event is named after what it says about which upstream object (so repeats, from any
// pod of it, are one event), distinct per workspace and target, and starts its tally with the downstream count.
func TestUpstreamEvent(t *testing.T) {
	subject := upstreamSubject{cluster: "team-a", object: &unstructured.Unstructured{}}
	subject.object.SetAPIVersion("apps/v1")
	subject.object.SetKind("Deployment")
	subject.object.SetNamespace("default")
	subject.object.SetName("web")
	subject.object.SetUID("up-web")
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "gantry-abc", Name: "web-1-a.1", UID: "ev-1", CreationTimestamp: created},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web-1-a", UID: "p-web"}, Reason: "FailedScheduling", Message: "0/1 nodes are available",
		Type: corev1.EventTypeWarning, EventTime: metav1.NewMicroTime(created.Time),
		Series: &corev1.EventSeries{Count: 4, LastObservedTime: metav1.NewMicroTime(created.Add(90*time.Second + 300*time.Millisecond))}}

	up := upstreamEvent("gpu", subject, ev)
	assert.Equal(t, "default", up.Namespace)
	assert.Regexp(t, `^web\.[0-9a-f]+$`, up.Name)
	assert.Equal(t, corev1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "web", UID: "up-web"}, up.InvolvedObject)
	assert.Equal(t, "FailedScheduling", up.Reason)
	assert.Equal(t, "0/1 nodes are available", up.Message)
	assert.Equal(t, corev1.EventTypeWarning, up.Type)
	assert.Equal(t, "gantry-syncer/gpu", up.Source.Component)
	assert.Equal(t, int32(4), up.Count, "a series counts")
	assert.Equal(t, created.Add(90*time.Second), up.LastTimestamp.Time, "the series' last time, in seconds")
	assert.Equal(t, created.Time, up.FirstTimestamp.Time)
	assert.JSONEq(t, `{"ev-1":4}`, up.Annotations[DownstreamCountsAnnotation])

	otherPod := ev.DeepCopy()
	otherPod.UID, otherPod.InvolvedObject.Name = "ev-2", "web-1-b"
	assert.Equal(t, up.Name, upstreamEvent("gpu", subject, otherPod).Name, "the same failure of another pod is the same upstream event")
	assert.NotEqual(t, up.Name, upstreamEvent("cpu", subject, ev).Name, "another target")
	otherMessage := ev.DeepCopy()
	otherMessage.Message = "0/2 nodes are available"
	assert.NotEqual(t, up.Name, upstreamEvent("gpu", subject, otherMessage).Name, "another message")
	otherWorkspace := subject
	otherWorkspace.cluster = "team-b"
	assert.NotEqual(t, up.Name, upstreamEvent("gpu", otherWorkspace, ev).Name, "another workspace")

	oldStyle := &corev1.Event{ObjectMeta: metav1.ObjectMeta{UID: "ev-3", CreationTimestamp: created}, Type: corev1.EventTypeWarning,
		FirstTimestamp: created, LastTimestamp: metav1.NewTime(created.Add(time.Minute)), Count: 7}
	assert.Equal(t, int32(7), eventCount(oldStyle))
	assert.Equal(t, created.Add(time.Minute), lastSeen(oldStyle).Time)
	assert.Equal(t, int32(1), eventCount(&corev1.Event{}), "at least once")
}

// A repeat adds to the one upstream event's tally: a grown series raises its own entry, another downstream event
// adds one; the count is the sum, an unchanged repeat writes nothing, and the tally stays bounded.
func TestTally(t *testing.T) {
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	up := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "web.1", Namespace: "default", ResourceVersion: "1",
		Annotations: map[string]string{DownstreamCountsAnnotation: `{"ev-1":1}`}}, Count: 1, LastTimestamp: created}
	events := fake.NewSimpleClientset(up).CoreV1().Events("default")
	c := &eventCopier{}
	ev1 := &corev1.Event{ObjectMeta: metav1.ObjectMeta{UID: "ev-1", CreationTimestamp: created}, EventTime: metav1.NewMicroTime(created.Time)}

	same, err := c.tally(context.Background(), events, up, ev1)
	require.NoError(t, err)
	assert.Same(t, up, same, "nothing new: nothing written")

	ev1.Series = &corev1.EventSeries{Count: 3, LastObservedTime: metav1.NewMicroTime(created.Add(time.Minute))}
	up, err = c.tally(context.Background(), events, up, ev1)
	require.NoError(t, err)
	assert.Equal(t, int32(3), up.Count)
	ev2 := &corev1.Event{ObjectMeta: metav1.ObjectMeta{UID: "ev-2", CreationTimestamp: metav1.NewTime(created.Add(2 * time.Minute))}}
	up, err = c.tally(context.Background(), events, up, ev2)
	require.NoError(t, err)
	assert.Equal(t, int32(4), up.Count, "another downstream event of the same failure adds to it")
	assert.True(t, created.Add(2*time.Minute).Equal(up.LastTimestamp.Time), "the latest time")
	assert.JSONEq(t, `{"ev-1":3,"ev-2":1}`, up.Annotations[DownstreamCountsAnnotation])
	stored, err := events.Get(context.Background(), "web.1", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, int32(4), stored.Count, "written")

	assert.Equal(t, map[string]int32{foldedKey: 5}, tallyOf(&corev1.Event{Count: 5}), "an event without a tally counts as its count")
	many := map[string]int32{}
	var total int32
	for i := range maxTallied + 10 {
		many[fmt.Sprint("ev-", i)] = int32(i + 1)
		total += int32(i + 1)
	}
	folded := fold(many)
	assert.Len(t, folded, maxTallied)
	var sum int32
	for _, v := range folded {
		sum += v
	}
	assert.Equal(t, total, sum, "folding keeps the sum")
	assert.Contains(t, folded, fmt.Sprint("ev-", maxTallied+9), "the largest stay")
}
