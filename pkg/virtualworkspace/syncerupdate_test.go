package virtualworkspace

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

func TestValidateSyncerUpdate(t *testing.T) {
	gpu := Target{Cluster: "compute", Name: "gpu"}
	key := computev1alpha1.TargetKey("compute", "gpu")
	label, finalizer := TargetLabel("compute", "gpu"), computev1alpha1.SyncerFinalizer("compute", "gpu")
	otherLabel, otherFinalizer := TargetLabel("compute", "cpu"), computev1alpha1.SyncerFinalizer("compute", "cpu")
	stored := func(state string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]interface{}{
			"apiVersion": "example.com/v1", "kind": "Widget",
			"metadata": map[string]interface{}{"name": "w1", "namespace": "default", "resourceVersion": "5", "generation": int64(1),
				"labels":      map[string]interface{}{label: state, otherLabel: "Sync", "app": "web"},
				"annotations": map[string]interface{}{"gantry.dev/cluster": "team", "status.workload.gantry.dev/" + key: "old"},
				"finalizers":  []interface{}{otherFinalizer}},
			"spec":   map[string]interface{}{"size": int64(1)},
			"status": map[string]interface{}{"phase": "Pending"},
		}}
		return u
	}
	cases := []struct {
		name  string
		state string
		edit  func(u *unstructured.Unstructured)
		allow bool
	}{
		{"nothing", "Sync", func(*unstructured.Unstructured) {}, true},
		{"server-set fields", "Sync", func(u *unstructured.Unstructured) { u.SetResourceVersion("6"); u.SetGeneration(2) }, true},
		{"add own finalizer", "Sync", func(u *unstructured.Unstructured) { u.SetFinalizers([]string{finalizer, otherFinalizer}) }, true},
		{"remove own finalizer", "Sync", func(u *unstructured.Unstructured) { u.SetFinalizers([]string{otherFinalizer}) }, true},
		{"own annotations", "Sync", func(u *unstructured.Unstructured) {
			u.SetAnnotations(map[string]string{"gantry.dev/cluster": "team", "status.workload.gantry.dev/" + key: "new", "x.example.com/" + key: "y"})
		}, true},
		{"remove own annotation", "Sync", func(u *unstructured.Unstructured) { u.SetAnnotations(map[string]string{"gantry.dev/cluster": "team"}) }, true},
		{"status", "Sync", func(u *unstructured.Unstructured) { u.Object["status"] = map[string]interface{}{"phase": "Synced"} }, true},
		{"remove own label once Delete", "Delete", func(u *unstructured.Unstructured) {
			u.SetLabels(map[string]string{otherLabel: "Sync", "app": "web"})
		}, true},
		{"spec", "Sync", func(u *unstructured.Unstructured) { u.Object["spec"] = map[string]interface{}{"size": int64(2)} }, false},
		{"another label", "Sync", func(u *unstructured.Unstructured) {
			u.SetLabels(map[string]string{label: "Sync", otherLabel: "Sync", "app": "db"})
		}, false},
		{"another target's label", "Sync", func(u *unstructured.Unstructured) { u.SetLabels(map[string]string{label: "Sync", "app": "web"}) }, false},
		{"remove own label while Sync", "Sync", func(u *unstructured.Unstructured) { u.SetLabels(map[string]string{otherLabel: "Sync", "app": "web"}) }, false},
		{"change own label", "Delete", func(u *unstructured.Unstructured) {
			u.SetLabels(map[string]string{label: "Sync", otherLabel: "Sync", "app": "web"})
		}, false},
		{"another finalizer", "Sync", func(u *unstructured.Unstructured) { u.SetFinalizers(nil) }, false},
		{"add a foreign finalizer", "Sync", func(u *unstructured.Unstructured) { u.SetFinalizers([]string{otherFinalizer, "example.com/mine"}) }, false},
		{"another annotation", "Sync", func(u *unstructured.Unstructured) {
			u.SetAnnotations(map[string]string{"gantry.dev/cluster": "team", "status.workload.gantry.dev/" + key: "old", "note": "x"})
		}, false},
		{"another target's annotation", "Sync", func(u *unstructured.Unstructured) {
			u.SetAnnotations(map[string]string{"gantry.dev/cluster": "team", "status.workload.gantry.dev/" + key: "old",
				"status.workload.gantry.dev/" + computev1alpha1.TargetKey("compute", "cpu"): "x"})
		}, false},
		{"own per-target status view", "Sync", func(u *unstructured.Unstructured) {
			u.SetAnnotations(map[string]string{"gantry.dev/cluster": "team", "status.workload.gantry.dev/" + key: "old",
				computev1alpha1.StatusAnnotation("compute", "gpu"): `{"replicas":1}`})
		}, true},
		{"another target's status view", "Sync", func(u *unstructured.Unstructured) {
			u.SetAnnotations(map[string]string{"gantry.dev/cluster": "team", "status.workload.gantry.dev/" + key: "old",
				computev1alpha1.StatusAnnotation("compute", "cpu"): `{"replicas":9}`})
		}, false},
		{"an annotation merely containing the key", "Sync", func(u *unstructured.Unstructured) {
			u.SetAnnotations(map[string]string{"gantry.dev/cluster": "team", "status.workload.gantry.dev/" + key: "old", "x/" + key + "x": "y"})
		}, false},
		{"the cluster annotation", "Sync", func(u *unstructured.Unstructured) {
			u.SetAnnotations(map[string]string{"gantry.dev/cluster": "other", "status.workload.gantry.dev/" + key: "old"})
		}, false},
	}
	for _, c := range cases {
		old := stored(c.state)
		updated := old.DeepCopy()
		c.edit(updated)
		err := validateSyncerUpdate(gpu, old, updated)
		if c.allow {
			assert.NoError(t, err, c.name)
			continue
		}
		if assert.Error(t, err, c.name) {
			assert.Contains(t, err.Error(), finalizer, c.name)
		}
	}
}

func TestValidateUpdateTyped(t *testing.T) {
	d := syncerFixture()
	gpu := Target{Definition: d, Cluster: "compute", Name: "gpu"}
	label := TargetLabel("compute", "gpu")
	old := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Labels: map[string]string{label: "Sync"}}, Data: map[string]string{"a": "1"}}
	info := &genericapirequest.RequestInfo{Resource: "configmaps", Name: "c"}
	withFinalizer := old.DeepCopy()
	withFinalizer.Finalizers = []string{computev1alpha1.SyncerFinalizer("compute", "gpu")}
	assert.NoError(t, d.validateUpdate(gpu, info, withFinalizer, old))
	changed := old.DeepCopy()
	changed.Data["a"] = "2"
	err := d.validateUpdate(gpu, info, changed, old)
	assert.Error(t, err)
	assert.True(t, apierrors.IsForbidden(err))
	assert.Contains(t, err.Error(), `configmaps "c" is forbidden`)
}
