package namespacedefaults

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func testController() *Controller {
	c := &Controller{config: Config{CABundle: []byte("PEM")}, rootCAs: clusterwatch.NewStore[*corev1.ConfigMap](),
		wantData: map[string]string{RootCAKey: "PEM"}, wantAnnotations: map[string]string{descriptionAnnotation: rootCADescription}}
	c.rootCAs.Slim(c.slimRootCA)
	return c
}

func rootCA(cluster, namespace string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: RootCAConfigMapName, Namespace: namespace, UID: "u", ResourceVersion: "5",
			Annotations:   map[string]string{logicalcluster.AnnotationKey: cluster, descriptionAnnotation: rootCADescription},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: fieldManager}}},
		Data: data,
	}
}

func TestIndexKeepsOneSharedCopyOfRootCAsInOrder(t *testing.T) {
	c := testController()
	require.NoError(t, c.rootCAs.Add(rootCA("a", "default", map[string]string{RootCAKey: "PEM"})))
	require.NoError(t, c.rootCAs.Add(rootCA("b", "default", map[string]string{RootCAKey: "PEM"})))
	got, ok := c.rootCAs.Get("a", "default/"+RootCAConfigMapName)
	require.True(t, ok)
	assert.True(t, c.inOrder(got), "reconcile finds nothing to do")
	assert.Equal(t, metav1.ObjectMeta{Name: RootCAConfigMapName, Namespace: "default", Annotations: c.wantAnnotations}, got.ObjectMeta,
		"no UID, version, managed fields or cluster annotation per namespace")
	other, _ := c.rootCAs.Get("b", "default/"+RootCAConfigMapName)
	assert.Equal(t, reflect.ValueOf(c.wantData).UnsafePointer(), reflect.ValueOf(other.Data).UnsafePointer(),
		"every namespace shares the controller's one copy of the CA bundle")
}

func TestIndexKeepsRootCAsOutOfOrderWhole(t *testing.T) {
	c := testController()
	for name, changed := range map[string]*corev1.ConfigMap{
		"other data": rootCA("a", "data", map[string]string{RootCAKey: "EVIL"}),
		"extra key":  rootCA("a", "extra", map[string]string{RootCAKey: "PEM", "more": "x"}),
		"no description": func() *corev1.ConfigMap {
			o := rootCA("a", "desc", map[string]string{RootCAKey: "PEM"})
			delete(o.Annotations, descriptionAnnotation)
			return o
		}(),
		"binary data": func() *corev1.ConfigMap {
			o := rootCA("a", "bin", map[string]string{RootCAKey: "PEM"})
			o.BinaryData = map[string][]byte{"b": nil}
			return o
		}(),
	} {
		require.NoError(t, c.rootCAs.Add(changed), name)
		got, ok := c.rootCAs.Get("a", changed.Namespace+"/"+RootCAConfigMapName)
		require.True(t, ok, name)
		assert.False(t, c.inOrder(got), "%s: reconcile sets it right", name)
		assert.Equal(t, "5", got.ResourceVersion, "%s: the update is built from the object as read", name)
	}
}
