package placement

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

const location = "loc123"

// placedOn returns a Deployment-like object of generation 3 asking for 2 replicas, placed (Sync) on the named
// targets of location, taken up by the syncers of those in takenBy.
func placedOn(targets []string, takenBy ...string) *unstructured.Unstructured {
	obj := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]interface{}{"name": "llm", "namespace": "team", "generation": int64(3)},
		"spec":     map[string]interface{}{"replicas": int64(2)},
	}}
	labels := map[string]string{}
	for _, t := range targets {
		labels[computev1alpha1.StateLabel(location, t)] = computev1alpha1.ResourceStateSync
	}
	obj.SetLabels(labels)
	var finalizers []string
	for _, t := range takenBy {
		finalizers = append(finalizers, computev1alpha1.SyncerFinalizer(location, t))
	}
	obj.SetFinalizers(finalizers)
	return obj
}

func withView(obj *unstructured.Unstructured, target, view string) *unstructured.Unstructured {
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[computev1alpha1.StatusAnnotation(location, target)] = view
	obj.SetAnnotations(annotations)
	return obj
}

const availableView = `{"observedGeneration":3,"replicas":2,"availableReplicas":2,` +
	`"conditions":[{"type":"Available","status":"True"}]}`

func TestCopyReadiness(t *testing.T) {
	for _, tc := range []struct {
		name      string
		obj       *unstructured.Unstructured
		hasStatus bool
		want      string // "" is Ready
	}{
		{name: "not labeled for the target", obj: placedOn([]string{"old"}, "old"), hasStatus: true, want: "not placed there yet"},
		{name: "labeled, not taken up", obj: placedOn([]string{"old", "new"}, "old"), hasStatus: true, want: "not taken up by its syncer yet"},
		{name: "no status: taken up is Ready", obj: placedOn([]string{"old", "new"}, "old", "new"), hasStatus: false},
		{name: "no view yet", obj: placedOn([]string{"old", "new"}, "old", "new"), hasStatus: true, want: "no status reported yet"},
		{name: "the other target's view does not count",
			obj:       withView(placedOn([]string{"old", "new"}, "old", "new"), "old", availableView),
			hasStatus: true, want: "no status reported yet"},
		{name: "an Available view",
			obj:       withView(placedOn([]string{"old", "new"}, "old", "new"), "new", availableView),
			hasStatus: true},
		{name: "a stale view",
			obj: withView(placedOn([]string{"old", "new"}, "old", "new"), "new",
				`{"observedGeneration":2,"availableReplicas":2,"conditions":[{"type":"Available","status":"True"}]}`),
			hasStatus: true, want: "status of generation 2, the object is at 3"},
		{name: "Available False",
			obj: withView(placedOn([]string{"old", "new"}, "old", "new"), "new",
				`{"observedGeneration":3,"conditions":[{"type":"Available","status":"False","message":"Deployment does not have minimum availability."}]}`),
			hasStatus: true, want: "Available=False Deployment does not have minimum availability."},
		{name: "too few replicas",
			obj: withView(placedOn([]string{"old", "new"}, "old", "new"), "new",
				`{"observedGeneration":3,"replicas":2,"availableReplicas":1,"conditions":[{"type":"Available","status":"True"}]}`),
			hasStatus: true, want: "1 of 2 replicas available"},
		{name: "no replica available yet: the field is left out",
			obj:       withView(placedOn([]string{"old", "new"}, "old", "new"), "new", `{"observedGeneration":3,"replicas":2}`),
			hasStatus: true, want: "0 of 2 replicas available"},
		{name: "a Ready condition wins over Available",
			obj: withView(placedOn([]string{"old", "new"}, "old", "new"), "new",
				`{"conditions":[{"type":"Ready","status":"False","message":"predictor pending"},{"type":"Available","status":"True"}]}`),
			hasStatus: true, want: "Ready=False predictor pending"},
		{name: "alone on the target: its status is the view",
			obj: func() *unstructured.Unstructured {
				obj := placedOn([]string{"new"}, "new")
				_ = unstructured.SetNestedField(obj.Object, map[string]interface{}{"observedGeneration": int64(3),
					"replicas": int64(2), "availableReplicas": int64(2)}, "status")
				return obj
			}(), hasStatus: true},
		{name: "a controller's first status: Progressing alone, no counts yet",
			obj: withView(placedOn([]string{"old", "new"}, "old", "new"), "new",
				`{"conditions":[{"type":"Progressing","status":"True","reason":"NewReplicaSetCreated"}]}`),
			hasStatus: true, want: "0 of 2 replicas available"},
		{name: "a status without replicas for an object without spec.replicas",
			obj: func() *unstructured.Unstructured {
				obj := withView(placedOn([]string{"old", "new"}, "old", "new"), "new", `{"phase":"Bound"}`)
				unstructured.RemoveNestedField(obj.Object, "spec", "replicas")
				return obj
			}(), hasStatus: true},
		{name: "an unreadable view", obj: withView(placedOn([]string{"old", "new"}, "old", "new"), "new", `{`),
			hasStatus: true, want: "no status reported yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, CopyReadiness(tc.obj, location, "new", tc.hasStatus))
		})
	}
}

func TestReadinessProgress(t *testing.T) {
	p := readinessProgress{objects: 3, ready: 2, firstWaiting: "deployments team/llm on west (1 of 2 replicas available)"}
	assert.False(t, p.done())
	assert.Equal(t, "2 of 3 objects Ready; waiting for deployments team/llm on west (1 of 2 replicas available)", p.String())
	assert.True(t, readinessProgress{objects: 0}.done(), "nothing placed: nothing to wait for")
}
