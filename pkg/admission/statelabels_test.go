package admission

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// A bound core-group resource (services) is placed like any bound resource, in the workspace that binds it only.
func TestStateLabelsPlaceBoundCoreGroupResources(t *testing.T) {
	gpu := computev1alpha1.StateLabel("compute", "gpu")
	namespaces := clusterwatch.NewStore[*corev1.Namespace]()
	var stored []interface{}
	for _, cluster := range []string{"teama", "teamb"} {
		stored = append(stored, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default",
			Labels:      map[string]string{gpu: computev1alpha1.ResourceStateSync},
			Annotations: map[string]string{logicalcluster.AnnotationKey: cluster}}})
	}
	require.NoError(t, namespaces.Replace(stored, "1"))
	crds := crdset.NewSet()
	crds.SetBound("teama", []*apiextensionsv1.CustomResourceDefinition{{
		ObjectMeta: metav1.ObjectMeta{Name: "services.core", UID: "identity",
			Annotations: map[string]string{crdset.BoundAnnotation: logicalcluster.Key("compute", "kubernetes")}},
		Spec:   apiextensionsv1.CustomResourceDefinitionSpec{Group: "", Scope: apiextensionsv1.NamespaceScoped},
		Status: apiextensionsv1.CustomResourceDefinitionStatus{AcceptedNames: apiextensionsv1.CustomResourceDefinitionNames{Plural: "services", Kind: "Service"}},
	}})
	plugin := &StateLabels{Namespaces: namespaces, CRDs: crds}
	admit := func(cluster logicalcluster.Name, resource string) map[string]string {
		obj := &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": "v1", "kind": "Service",
			"metadata": map[string]interface{}{"name": "llm", "namespace": "default"}}}
		attrs := admission.NewAttributesRecord(obj, nil, corev1.SchemeGroupVersion.WithKind("Service"), "default", "llm",
			corev1.SchemeGroupVersion.WithResource(resource), "", admission.Create, nil, false, &user.DefaultInfo{Name: "alice"})
		require.NoError(t, plugin.Admit(logicalcluster.WithCluster(context.Background(), cluster), attrs, nil))
		return obj.GetLabels()
	}
	assert.Equal(t, map[string]string{gpu: "Sync"}, admit("teama", "services"), "teama binds services: placed with its namespace")
	assert.Empty(t, admit("teamb", "services"), "teamb binds nothing")
	assert.Empty(t, admit("teama", "persistentvolumeclaims"), "a core resource teama does not bind")
}
