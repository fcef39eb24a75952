package garbagecollector

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func obj(cluster, ns, name, uid string, owners ...string) *object {
	o := &object{objectRef: objectRef{Cluster: logicalcluster.Name(cluster), Resource: schema.GroupVersionResource{Version: "v1", Resource: "configmaps"},
		Namespace: ns, Name: name, UID: types.UID(uid)}}
	for _, owner := range owners {
		o.Owners = append(o.Owners, metav1.OwnerReference{UID: types.UID(owner)})
	}
	return o
}

func TestGraphMatchesOwnersWithinOneWorkspace(t *testing.T) {
	g := newGraph()
	now := time.Now()
	assert.Empty(t, g.observe(obj("a", "default", "owner", "u1"), true, now), "objects without owners are not kept")
	assert.Empty(t, g.nodes)
	g.observe(obj("a", "default", "child", "u2", "u1"), true, now)
	g.observe(obj("b", "default", "child", "u3", "u1"), true, now) // names a's UID from b

	queued := g.forget(obj("a", "default", "owner", "u1"), now)
	assert.Equal(t, []uidKey{{"a", "u1"}}, queued)
	deps := g.dependentsOf(uidKey{"a", "u1"}, "default")
	if assert.Len(t, deps, 1) {
		assert.Equal(t, logicalcluster.Name("a"), deps[0].Cluster, "b's object that names a's UID is not a's dependent")
	}
	assert.Empty(t, g.dependentsOf(uidKey{"a", "u1"}, "other"), "a namespaced owner owns only in its namespace")
}

func TestGraphQueuesOwnersThatWaitOrAreGone(t *testing.T) {
	g := newGraph()
	now := time.Now()
	g.forget(obj("a", "default", "owner", "u1"), now)
	assert.Equal(t, []uidKey{{"a", "u1"}}, g.observe(obj("a", "default", "late", "u2", "u1"), true, now), "a dependent of a just-deleted owner")

	deleting := obj("a", "default", "fg", "u3")
	ts := metav1.NewTime(now)
	deleting.DeletionTimestamp, deleting.Finalizers = &ts, []string{metav1.FinalizerDeleteDependents}
	assert.Equal(t, []uidKey{{"a", "u3"}}, g.observe(deleting, true, now))
	g.observe(obj("a", "default", "fg-child", "u4", "u3"), true, now)
	assert.Equal(t, []uidKey{{"a", "u3"}}, g.forget(obj("a", "default", "fg-child", "u4", "u3"), now), "the waiting owner hears its dependent went")

	missing := g.missingOwners(now)
	assert.ElementsMatch(t, []uidKey{{"a", "u1"}}, missing)

	later := now.Add(goneFor + pruneGap + time.Second)
	g.forget(obj("a", "default", "x", "u9"), later)
	_, remembered := g.goneOwner(uidKey{"a", "u1"})
	assert.False(t, remembered, "deleted objects are forgotten after goneFor")
	_, remembered = g.goneOwner(uidKey{"a", "u9"})
	assert.True(t, remembered)
}
