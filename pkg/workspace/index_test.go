package workspace

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func ws(parent, name, cluster string) *tenancyv1alpha1.Workspace {
	return &tenancyv1alpha1.Workspace{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{logicalcluster.AnnotationKey: parent}},
		Spec:       tenancyv1alpha1.WorkspaceSpec{Cluster: cluster},
	}
}

func TestIndexResolvesPathsAndNames(t *testing.T) {
	x := NewIndex()
	var changed []string
	x.OnChange(func(k string) { changed = append(changed, k) })
	require.NoError(t, x.Replace([]interface{}{ws("root", "ml", "c1"), ws("c1", "team-a", "c2"), ws("root", "team-a", "c3")}, "1"))
	assert.True(t, x.HasSynced())
	assert.Len(t, changed, 3)

	resolve := func(s string) (logicalcluster.Name, bool) {
		ref, err := logicalcluster.ParseReference(s)
		require.NoError(t, err)
		return x.Resolve(ref)
	}
	for in, want := range map[string]logicalcluster.Name{"root": "root", "root:ml": "c1", "root:ml:team-a": "c2", "root:team-a": "c3", "c2": "c2"} {
		got, ok := resolve(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"root:team-a:ml", "root:ml:team-b", "c9"} {
		_, ok := resolve(in)
		assert.False(t, ok, in)
	}
	p, ok := x.Path("c2")
	assert.True(t, ok)
	assert.Equal(t, logicalcluster.Path("root:ml:team-a"), p)
	assert.Equal(t, []string{"c1|team-a"}, x.Children("c1"))

	// Same name under two parents are two workspaces; deleting one leaves the other.
	require.NoError(t, x.Delete(ws("c1", "team-a", "c2")))
	_, ok = resolve("root:ml:team-a")
	assert.False(t, ok)
	_, ok = resolve("c2")
	assert.False(t, ok)
	got, ok := resolve("root:team-a")
	assert.True(t, ok)
	assert.Equal(t, logicalcluster.Name("c3"), got)

	// A relist drops what is gone.
	require.NoError(t, x.Replace([]interface{}{ws("root", "ml", "c1")}, "2"))
	_, ok = resolve("root:team-a")
	assert.False(t, ok)

	assert.Error(t, x.Add(ws("", "bad", "c5")), "a workspace without a valid parent annotation is refused")
	assert.Error(t, x.Add("not a workspace"))
}

func TestIndexLive(t *testing.T) {
	x := NewIndex()
	deleting := ws("root", "doomed", "c2")
	now := metav1.Now()
	deleting.DeletionTimestamp = &now
	require.NoError(t, x.Replace([]interface{}{ws("root", "ml", "c1"), deleting}, "1"))
	assert.True(t, x.Live(logicalcluster.Root), "root has no Workspace object and is always live")
	assert.True(t, x.Live("c1"))
	assert.False(t, x.Live("c2"), "a workspace being deleted")
	assert.False(t, x.Live("c9"), "a cluster the index does not know")
	require.NoError(t, x.Delete(ws("root", "ml", "c1")))
	assert.False(t, x.Live("c1"), "a deleted workspace")
}
