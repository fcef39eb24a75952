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
	"k8s.io/apimachinery/pkg/types"
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

// The copy of a downstream event is named after what it says about which upstream object (so repeats, in one
// downstream event or several, patch one event), distinct per workspace and target, and counts every repeat, in
// either event API.
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

	up := upstreamEvent("gpu", subject, ev, []*corev1.Event{ev})
	assert.Equal(t, "default", up.Namespace)
	assert.Regexp(t, `^web\.[0-9a-f]+$`, up.Name)
	assert.Equal(t, corev1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "web", UID: "up-web"}, up.InvolvedObject)
	assert.Equal(t, "FailedScheduling", up.Reason)
	assert.Equal(t, "Pod web-1-a: 0/1 nodes are available", up.Message)
	assert.Equal(t, corev1.EventTypeWarning, up.Type)
	assert.Equal(t, "gantry-syncer/gpu", up.Source.Component)
	assert.Equal(t, int32(4), up.Count, "a series counts")
	assert.Equal(t, created.Add(90*time.Second), up.LastTimestamp.Time, "the series' last time, in seconds")
	assert.Equal(t, created.Time, up.FirstTimestamp.Time)
	assert.Equal(t, "gantry-abc/web-1-a.1", up.Annotations[DownstreamEventAnnotation])

	// The scheduler may write the same failure again as another event rather than a series.
	again := ev.DeepCopy()
	again.UID, again.Name, again.Series = "ev-2", "web-1-a.2", nil
	again.EventTime = metav1.NewMicroTime(created.Add(3 * time.Minute))
	both := upstreamEvent("gpu", subject, again, []*corev1.Event{ev, again})
	assert.Equal(t, up.Name, both.Name, "the same failure is the same upstream event")
	assert.Equal(t, int32(5), both.Count, "four in the series, one more")
	assert.Equal(t, created.Add(3*time.Minute), both.LastTimestamp.Time)
	assert.Equal(t, created.Time, both.FirstTimestamp.Time)

	assert.NotEqual(t, up.Name, upstreamEvent("cpu", subject, ev, []*corev1.Event{ev}).Name, "another target")
	otherMessage := ev.DeepCopy()
	otherMessage.Message = "0/2 nodes are available"
	assert.NotEqual(t, up.Name, upstreamEvent("gpu", subject, otherMessage, []*corev1.Event{otherMessage}).Name, "another message")
	otherWorkspace := subject
	otherWorkspace.cluster = "team-b"
	assert.NotEqual(t, up.Name, upstreamEvent("gpu", otherWorkspace, ev, []*corev1.Event{ev}).Name, "another workspace")

	oldStyle := &corev1.Event{ObjectMeta: metav1.ObjectMeta{UID: "ev-3", CreationTimestamp: created}, Type: corev1.EventTypeWarning,
		FirstTimestamp: created, LastTimestamp: metav1.NewTime(created.Add(time.Minute)), Count: 7}
	assert.Equal(t, int32(7), eventCount(oldStyle))
	assert.Equal(t, created.Add(time.Minute), lastSeen(oldStyle).Time)
	assert.Equal(t, int32(1), eventCount(&corev1.Event{}), "at least once")
}

// Repeats are the Warning events with the same object, reason and message.
func TestSameOccurrences(t *testing.T) {
	pod := corev1.ObjectReference{Kind: "Pod", Name: "web-1-a", UID: "p-web"}
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "a"}, InvolvedObject: pod, Reason: "BackOff", Message: "m", Type: corev1.EventTypeWarning}
	repeat := ev.DeepCopy()
	repeat.Name = "b"
	otherReason, otherMessage, otherObject, normal := ev.DeepCopy(), ev.DeepCopy(), ev.DeepCopy(), ev.DeepCopy()
	otherReason.Reason, otherMessage.Message, otherObject.InvolvedObject.UID, normal.Type = "Failed", "n", "p-other", corev1.EventTypeNormal
	same := sameOccurrences(ev, []*corev1.Event{ev, repeat, otherReason, otherMessage, otherObject, normal})
	var names []string
	for _, e := range same {
		names = append(names, e.Name)
	}
	assert.Equal(t, []string{"a", "b"}, names)
	assert.Equal(t, []*corev1.Event{ev}, sameOccurrences(ev, nil), "an event not in the cache yet counts itself")
}
