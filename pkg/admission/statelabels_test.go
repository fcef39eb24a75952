package admission

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func TestStateLabelsFollowPlacementOnly(t *testing.T) {
	gpu := computev1alpha1.StateLabel("compute", "gpu")
	cpu := computev1alpha1.StateLabel("compute", "cpu")
	namespaces := clusterwatch.NewStore[*corev1.Namespace]()
	require.NoError(t, namespaces.Replace([]interface{}{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default",
		Labels:      map[string]string{gpu: computev1alpha1.ResourceStateSync, "team": "a"},
		Annotations: map[string]string{logicalcluster.AnnotationKey: "teama"}}}}, "1"))
	plugin := &StateLabels{Namespaces: namespaces, CRDs: crdset.NewSet()}
	ctx := logicalcluster.WithCluster(context.Background(), "teama")
	alice := &user.DefaultInfo{Name: "alice"}
	configmaps := corev1.SchemeGroupVersion.WithResource("configmaps")
	admit := func(op admission.Operation, obj, old *corev1.ConfigMap, u user.Info) map[string]string {
		attrs := admission.NewAttributesRecord(obj, nil, corev1.SchemeGroupVersion.WithKind("ConfigMap"), "default", obj.Name,
			configmaps, "", op, nil, false, u)
		if old != nil {
			attrs = admission.NewAttributesRecord(obj, old, corev1.SchemeGroupVersion.WithKind("ConfigMap"), "default", obj.Name,
				configmaps, "", op, nil, false, u)
		}
		require.NoError(t, plugin.Admit(ctx, attrs, nil))
		return obj.Labels
	}
	cm := func(name string, labels map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: labels}}
	}

	got := admit(admission.Create, cm("settings", map[string]string{"app": "x", cpu: "Sync"}), nil, alice)
	assert.Equal(t, map[string]string{"app": "x", gpu: "Sync"}, got, "a new object is placed where its namespace is, not where it asks")
	got = admit(admission.Create, cm("kube-root-ca.crt", nil), nil, alice)
	assert.Empty(t, got, "the root CA ConfigMap stays home")

	old := cm("settings", map[string]string{"app": "x", gpu: "Sync", cpu: "Delete"})
	got = admit(admission.Update, cm("settings", map[string]string{"app": "y"}), old, alice)
	assert.Equal(t, map[string]string{"app": "y", gpu: "Sync"}, got, "an update keeps the Sync label; the Delete one may go")
	got = admit(admission.Update, cm("settings", map[string]string{"app": "y", gpu: "Delete", cpu: "Delete"}), old, alice)
	assert.Equal(t, map[string]string{"app": "y", gpu: "Sync", cpu: "Delete"}, got, "a user cannot change a state label")

	admin := &user.DefaultInfo{Name: "admin", Groups: []string{"system:masters"}}
	got = admit(admission.Update, cm("settings", map[string]string{cpu: "Sync"}), old, admin)
	assert.Equal(t, map[string]string{cpu: "Sync"}, got, "the placement controller writes them as given")
	got = admit(admission.Create, cm("by-admin", map[string]string{"app": "x"}), nil, admin)
	assert.Equal(t, map[string]string{"app": "x", gpu: "Sync"}, got, "an admin's new object naming no target is placed like any other")
	got = admit(admission.Create, cm("by-admin", map[string]string{cpu: "Sync"}), nil, admin)
	assert.Equal(t, map[string]string{cpu: "Sync"}, got, "one naming a target keeps it")

	other := logicalcluster.WithCluster(context.Background(), "teamb")
	obj := cm("settings", nil)
	require.NoError(t, plugin.Admit(other, admission.NewAttributesRecord(obj, nil, corev1.SchemeGroupVersion.WithKind("ConfigMap"),
		"default", "settings", configmaps, "", admission.Create, nil, false, alice), nil))
	assert.Empty(t, obj.Labels, "another workspace's namespace of the same name places nothing")
}
