package clusterwatch

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func cm(cluster, ns, name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
		Annotations: map[string]string{logicalcluster.AnnotationKey: cluster}}}
}

func TestStoreKeepsSameNamesApart(t *testing.T) {
	s := NewStore[*corev1.ConfigMap]()
	require.NoError(t, s.Replace([]interface{}{cm("a", "default", "x"), cm("b", "default", "x"), cm("a", "other", "x")}, "1"))
	assert.True(t, s.HasSynced())
	assert.Len(t, s.List("a"), 2)
	assert.Len(t, s.List("b"), 1)
	got, ok := s.Get("b", "default/x")
	require.True(t, ok)
	assert.Equal(t, "b", got.Annotations[logicalcluster.AnnotationKey])

	require.NoError(t, s.Delete(cm("a", "default", "x")))
	assert.Len(t, s.List("a"), 1)
	_, ok = s.Get("b", "default/x")
	assert.True(t, ok, "deleting a's object leaves b's")
	assert.Error(t, s.Add(cm("", "default", "y")), "objects without a workspace are refused")
	assert.Error(t, s.Add(&corev1.Secret{}))
}

func TestStoreKeepsNoManagedFieldsAndSlimsObjects(t *testing.T) {
	s := NewStore[*corev1.ConfigMap]().Slim(func(c *corev1.ConfigMap) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: c.Name, Namespace: c.Namespace}}
	})
	withFields := func(o *corev1.ConfigMap) *corev1.ConfigMap {
		o.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "m"}}
		o.Data = map[string]string{"k": "v"}
		return o
	}
	seen := 0
	s.OnChange(func(logicalcluster.Name, string) { seen++ })
	require.NoError(t, s.Replace([]interface{}{withFields(cm("a", "default", "x"))}, "1"))
	require.NoError(t, s.Add(withFields(cm("b", "default", "y"))))
	for _, at := range []struct{ cluster, key string }{{"a", "default/x"}, {"b", "default/y"}} {
		got, ok := s.Get(logicalcluster.Name(at.cluster), at.key)
		require.True(t, ok, "the slim object is kept under the full object's workspace and key")
		assert.Nil(t, got.ManagedFields)
		assert.Nil(t, got.Data, "the store keeps what Slim returns")
	}
	require.NoError(t, s.Delete(withFields(cm("b", "default", "y"))))
	_, ok := s.Get("b", "default/y")
	assert.False(t, ok)
	assert.Equal(t, 3, seen)

	plain := NewStore[*corev1.ConfigMap]()
	require.NoError(t, plain.Add(withFields(cm("a", "default", "x"))))
	got, _ := plain.Get("a", "default/x")
	assert.Nil(t, got.ManagedFields, "no store keeps managed fields")
	assert.Equal(t, map[string]string{"k": "v"}, got.Data)
}
