package syncer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ourFields is the FieldsV1 a server records for our apply of desiredWidget().
const ourFields = `{"f:metadata":{"f:annotations":{"f:team":{}},"f:labels":{"f:app":{}}},"f:spec":{"f:ports":{},"f:size":{}}}`

// desiredWidget is what the syncer applies for one widget.
func desiredWidget() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]interface{}{"name": "w1", "namespace": "gantry-0123456789abcdef",
			"labels":      map[string]interface{}{"app": "train"},
			"annotations": map[string]interface{}{"team": "a"}},
		"spec": map[string]interface{}{"size": int64(5), "ports": []interface{}{map[string]interface{}{"port": int64(80)}}},
	}}
}

// liveWidget is the downstream object as the server keeps it after applying desiredWidget(): with server metadata,
// a defaulted field and our managedFields entry whose FieldsV1 is fields.
func liveWidget(fields string) *unstructured.Unstructured {
	live := desiredWidget()
	live.SetUID("uid-1")
	live.SetResourceVersion("10")
	_ = unstructured.SetNestedField(live.Object, "Always", "spec", "policy") // defaulted by the server
	live.Object["spec"].(map[string]interface{})["ports"] = []interface{}{map[string]interface{}{"port": int64(80), "protocol": "TCP"}}
	live.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: FieldManager, Operation: metav1.ManagedFieldsOperationApply,
		APIVersion: "example.com/v1", FieldsType: "FieldsV1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}}})
	return live
}

// lastApply is the state the syncer records for its apply of desiredWidget() answered by liveWidget(ourFields).
func lastApply(t *testing.T) appliedState {
	t.Helper()
	states := newAppliedStates()
	states.record("widgets|ns/w", desiredWidget(), liveWidget(ourFields))
	st, ok := states.get("uid-1")
	require.True(t, ok)
	return st
}

func TestApplyNeededSkipsWhatWouldChangeNothing(t *testing.T) {
	last := lastApply(t)

	needed, why := applyNeeded(desiredWidget(), liveWidget(ourFields), last, true)
	assert.False(t, needed, why)

	// A status change downstream (and the status writer's own entry) is not ours to apply.
	live := liveWidget(ourFields)
	_ = unstructured.SetNestedField(live.Object, "Running", "status", "phase")
	live.SetResourceVersion("11")
	live.SetManagedFields(append(live.GetManagedFields(), metav1.ManagedFieldsEntry{Manager: "kube-controller-manager",
		Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", FieldsType: "FieldsV1",
		FieldsV1: &metav1.FieldsV1{Raw: []byte(`{"f:status":{"f:phase":{}}}`)}}))
	needed, why = applyNeeded(desiredWidget(), live, last, true)
	assert.False(t, needed, "status-only change: %s", why)

	// Someone else's label, which an apply would leave alone anyway.
	live = liveWidget(ourFields)
	live.SetLabels(map[string]string{"app": "train", "added-by": "someone"})
	needed, why = applyNeeded(desiredWidget(), live, last, true)
	assert.False(t, needed, "foreign label: %s", why)

	// The same field set, encoded in another order.
	reordered := `{"f:spec":{"f:size":{},"f:ports":{}},"f:metadata":{"f:labels":{"f:app":{}},"f:annotations":{"f:team":{}}}}`
	needed, why = applyNeeded(desiredWidget(), liveWidget(reordered), last, true)
	assert.False(t, needed, "reordered field set: %s", why)
}

func TestApplyNeededRevertsDriftAndFollowsUpstream(t *testing.T) {
	last := lastApply(t)
	cases := map[string]struct {
		desired func() *unstructured.Unstructured
		live    func() *unstructured.Unstructured
		known   bool
	}{
		"no downstream object":                    {desired: desiredWidget, live: func() *unstructured.Unstructured { return nil }, known: true},
		"never applied by this process (restart)": {desired: desiredWidget, live: func() *unstructured.Unstructured { return liveWidget(ourFields) }},
		"upstream dropped a label": {desired: func() *unstructured.Unstructured {
			d := desiredWidget()
			d.SetLabels(nil)
			return d
		}, live: func() *unstructured.Unstructured { return liveWidget(ourFields) }, known: true},
		"upstream changed the spec": {desired: func() *unstructured.Unstructured {
			d := desiredWidget()
			_ = unstructured.SetNestedField(d.Object, int64(6), "spec", "size")
			return d
		}, live: func() *unstructured.Unstructured { return liveWidget(ourFields) }, known: true},
		"kubectl scale took spec.size over with another value": {desired: desiredWidget, live: func() *unstructured.Unstructured {
			live := liveWidget(`{"f:metadata":{"f:annotations":{"f:team":{}},"f:labels":{"f:app":{}}},"f:spec":{"f:ports":{}}}`)
			_ = unstructured.SetNestedField(live.Object, int64(9), "spec", "size")
			return live
		}, known: true},
		"someone took over a field with our value (it may change later unseen)": {desired: desiredWidget, live: func() *unstructured.Unstructured {
			return liveWidget(`{"f:metadata":{"f:annotations":{"f:team":{}},"f:labels":{"f:app":{}}},"f:spec":{"f:ports":{}}}`)
		}, known: true},
		"a value changed under our field manager's name": {desired: desiredWidget, live: func() *unstructured.Unstructured {
			live := liveWidget(ourFields)
			_ = unstructured.SetNestedField(live.Object, int64(9), "spec", "size")
			return live
		}, known: true},
		"a label we set was removed": {desired: desiredWidget, live: func() *unstructured.Unstructured {
			live := liveWidget(`{"f:metadata":{"f:annotations":{"f:team":{}}},"f:spec":{"f:ports":{},"f:size":{}}}`)
			live.SetLabels(nil)
			return live
		}, known: true},
		"a list element we set was removed": {desired: desiredWidget, live: func() *unstructured.Unstructured {
			live := liveWidget(ourFields)
			live.Object["spec"].(map[string]interface{})["ports"] = []interface{}{}
			return live
		}, known: true},
		"our entry is gone": {desired: desiredWidget, live: func() *unstructured.Unstructured {
			live := liveWidget(ourFields)
			live.SetManagedFields(nil)
			return live
		}, known: true},
		"being deleted": {desired: desiredWidget, live: func() *unstructured.Unstructured {
			live := liveWidget(ourFields)
			now := metav1.Now()
			live.SetDeletionTimestamp(&now)
			return live
		}, known: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			needed, why := applyNeeded(c.desired(), c.live(), last, c.known)
			assert.True(t, needed, why)
		})
	}
}

func TestAppliedStatesByUID(t *testing.T) {
	states := newAppliedStates()
	states.record("widgets|ns/w", desiredWidget(), liveWidget(ourFields))
	_, ok := states.get("uid-2")
	assert.False(t, ok, "a copy recreated downstream (new UID) is not taken for the one applied")
	states.forget("uid-1")
	_, ok = states.get("uid-1")
	assert.False(t, ok)

	noEntry := liveWidget(ourFields)
	noEntry.SetManagedFields(nil)
	states.record("widgets|ns/w", desiredWidget(), noEntry)
	assert.Equal(t, 0, states.len(), "an answer without our entry records nothing to compare with")
}

func TestContainsValues(t *testing.T) {
	assert.True(t, containsValues(map[string]interface{}{"a": int64(1), "b": "x"}, map[string]interface{}{"a": float64(1)}))
	assert.False(t, containsValues(map[string]interface{}{"a": int64(1)}, map[string]interface{}{"a": int64(2)}))
	assert.False(t, containsValues(map[string]interface{}{}, map[string]interface{}{"a": nil}))
	assert.True(t, containsValues(map[string]interface{}{"a": nil}, map[string]interface{}{"a": nil}))
	assert.False(t, containsValues([]interface{}{"a", "b"}, []interface{}{"a"}))
	assert.False(t, containsValues("x", int64(1)))
	assert.False(t, containsValues(int64(1), "1"), "only the server's answer is canonicalized")
	limits := func(gpu, cpu, memory interface{}) map[string]interface{} {
		return map[string]interface{}{"nvidia.com/gpu": gpu, "cpu": cpu, "memory": memory}
	}
	assert.True(t, containsValues(limits("1", "500m", "16Gi"), limits(int64(1), float64(0.5), "16Gi")), "quantities in canonical form")
	assert.False(t, containsValues(limits("2", "500m", "16Gi"), limits(int64(1), float64(0.5), "16Gi")))
	assert.False(t, containsValues(limits("1", "1", "16Gi"), limits(int64(1), "500m", "16Gi")))
	assert.False(t, containsValues(map[string]interface{}{"a": "x"}, map[string]interface{}{"a": map[string]interface{}{}}))
}

// TestJustAppliedSkipsTheEchoOnly: an object reconciled again before the informer shows what was just applied is not
// applied again, unless what it would apply changed, the informer has shown it since, or the apply is too old.
func TestJustAppliedSkipsTheEchoOnly(t *testing.T) {
	now := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	states := newAppliedStates()
	states.now = func() time.Time { return now }
	states.record("widgets|ns/w", desiredWidget(), liveWidget(ourFields))
	assert.True(t, states.justApplied("widgets|ns/w", desiredWidget()), "the same object a moment later")
	assert.False(t, states.justApplied("widgets|ns/other", desiredWidget()), "another object")
	changed := desiredWidget()
	changed.SetLabels(map[string]string{"tier": "new"})
	assert.False(t, states.justApplied("widgets|ns/w", changed), "the upstream object changed since")

	now = now.Add(unseenApplyWindow + time.Second)
	assert.False(t, states.justApplied("widgets|ns/w", desiredWidget()), "the informer never showed it: applied again")

	states.record("widgets|ns/w", desiredWidget(), liveWidget(ourFields))
	states.seen("widgets|ns/w")
	assert.False(t, states.justApplied("widgets|ns/w", desiredWidget()), "once the informer has it, applyNeeded decides")
}
