package sdk

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func cm(cluster, ns, name, rv string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: rv,
		Annotations: map[string]string{ClusterAnnotation: cluster}}}
}

type recorder struct{ events []string }

func (r *recorder) OnAdd(key string, _ interface{})       { r.events = append(r.events, "add "+key) }
func (r *recorder) OnUpdate(key string, _, _ interface{}) { r.events = append(r.events, "update "+key) }
func (r *recorder) OnDelete(key string, _ interface{})    { r.events = append(r.events, "delete "+key) }

func TestClusterKey(t *testing.T) {
	key, err := ClusterKey(cm("abc", "default", "x", ""))
	require.NoError(t, err)
	assert.Equal(t, "abc|default/x", key)
	c, ns, n := SplitClusterKey(key)
	assert.Equal(t, []string{"abc", "default", "x"}, []string{c, ns, n})
	c, ns, n = SplitClusterKey("abc|node-1")
	assert.Equal(t, []string{"abc", "", "node-1"}, []string{c, ns, n})
	_, err = ClusterKey(&corev1.ConfigMap{})
	assert.Error(t, err, "objects without a workspace are refused")
}

func TestWildcardInformerKeepsWorkspacesApart(t *testing.T) {
	i := NewWildcardInformer(nil, &corev1.ConfigMap{})
	rec := &recorder{}
	i.AddHandler(rec)
	store := (*reflectorStore)(i)
	require.NoError(t, store.Replace([]interface{}{cm("a", "default", "x", "1"), cm("b", "default", "x", "2")}, "2"))
	assert.True(t, i.HasSynced())
	assert.ElementsMatch(t, []string{"add a|default/x", "add b|default/x"}, rec.events)
	got, ok := i.Get("b", "default", "x")
	require.True(t, ok)
	assert.Equal(t, "2", got.(*corev1.ConfigMap).ResourceVersion)
	inA, err := i.Indexer().ByIndex(ClusterIndex, "a")
	require.NoError(t, err)
	assert.Len(t, inA, 1)

	rec.events = nil
	require.NoError(t, store.Update(cm("a", "default", "x", "3")))
	require.NoError(t, store.Replace([]interface{}{cm("a", "default", "x", "3")}, "4"))
	assert.Equal(t, []string{"update a|default/x", "delete b|default/x", "update a|default/x"}, rec.events)
	_, ok = i.Get("b", "default", "x")
	assert.False(t, ok)
}
