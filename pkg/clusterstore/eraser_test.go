package clusterstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/storage/etcd3/testserver"

	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// TestEraseAndDeleteTouchesOneWorkspaceAndHonoursTheRevision erases a workspace whose name is a prefix of its
// sibling's, and deletes the object that held it only while that object is at the revision it was read at: the
// sibling's objects and the parent's other objects are never touched, and the erasure happens either way.
func TestEraseAndDeleteTouchesOneWorkspaceAndHonoursTheRevision(t *testing.T) {
	etcdClient := testserver.RunEtcd(t, nil)
	store, getter, exists := configMapStoreOn(t, etcdClient)
	workspaces := schema.GroupResource{Group: "tenancy.gantry.dev", Resource: "workspaces"}
	getter.RESTOptionsWithPrefix(workspaces, clusterstore.ResourcePrefix(workspaces), nil, nil)
	eraser := &clusterstore.Eraser{Client: etcdClient.Client, Getter: getter}
	ctx := context.Background()

	// "doomed" and "doomedx" in the parent "parent", each with a configmap of the same name in its own cluster.
	put := func(key string) int64 {
		t.Helper()
		resp, err := etcdClient.KV.Put(ctx, key, "x")
		require.NoError(t, err)
		return resp.Header.Revision
	}
	doomedKey, siblingKey := "/registry/tenancy.gantry.dev/workspaces/parent/doomed", "/registry/tenancy.gantry.dev/workspaces/parent/doomedx"
	doomedRevision := put(doomedKey)
	put(siblingKey)
	for _, cluster := range []logicalcluster.Name{"doomed", "doomedx"} {
		_, err := store.Create(ctxFor(cluster), cm("data", string(cluster), nil), nil, &metav1.CreateOptions{})
		require.NoError(t, err)
	}
	doomedData, siblingData := "/registry/core/configmaps/doomed/default/data", "/registry/core/configmaps/doomedx/default/data"
	holder := clusterstore.StoredObject{ResourcePrefix: clusterstore.ResourcePrefix(workspaces), Cluster: "parent", Name: "doomed", Revision: doomedRevision}

	t.Run("invalid holders are refused before any delete", func(t *testing.T) {
		for _, bad := range []clusterstore.StoredObject{
			{ResourcePrefix: holder.ResourcePrefix, Cluster: "parent", Name: "doomed/../doomedx", Revision: doomedRevision},
			{ResourcePrefix: holder.ResourcePrefix, Cluster: "../parent", Name: "doomed", Revision: doomedRevision},
			{ResourcePrefix: holder.ResourcePrefix, Cluster: "parent", Name: "", Revision: doomedRevision},
			{ResourcePrefix: holder.ResourcePrefix, Cluster: "parent", Name: "doomed", Revision: -1},
		} {
			_, err := eraser.EraseAndDelete(ctx, "doomed", bad)
			assert.Error(t, err, "%+v", bad)
		}
		assert.True(t, exists(doomedData), "a refused call erases nothing")
	})

	t.Run("a holder written since it was read is kept, the content erased all the same", func(t *testing.T) {
		stale := holder
		holder.Revision = put(doomedKey) // written again: a finalizer added, say
		deleted, err := eraser.EraseAndDelete(ctx, "doomed", stale)
		require.NoError(t, err)
		assert.False(t, deleted)
		assert.True(t, exists(doomedKey), "the holder changed since it was read: it stays")
		assert.False(t, exists(doomedData), "the content is erased either way")
	})

	_, err := store.Create(ctxFor("doomed"), cm("more", "doomed", nil), nil, &metav1.CreateOptions{})
	require.NoError(t, err)

	t.Run("revision 0 erases and deletes nothing else", func(t *testing.T) {
		deleted, err := eraser.EraseAndDelete(ctx, "doomed", clusterstore.StoredObject{ResourcePrefix: holder.ResourcePrefix, Cluster: "parent", Name: "doomed"})
		require.NoError(t, err)
		assert.False(t, deleted)
		assert.True(t, exists(doomedKey))
		assert.False(t, exists("/registry/core/configmaps/doomed/default/more"))
	})

	t.Run("an unchanged holder goes with the content, in one transaction", func(t *testing.T) {
		_, err := store.Create(ctxFor("doomed"), cm("last", "doomed", nil), nil, &metav1.CreateOptions{})
		require.NoError(t, err)
		before, err := etcdClient.KV.Get(ctx, "/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		require.NoError(t, err)
		deleted, err := eraser.EraseAndDelete(ctx, "doomed", holder)
		require.NoError(t, err)
		assert.True(t, deleted)
		assert.False(t, exists(doomedKey))
		assert.False(t, exists("/registry/core/configmaps/doomed/default/last"))
		after, err := etcdClient.KV.Get(ctx, "/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		require.NoError(t, err)
		assert.Equal(t, before.Header.Revision+1, after.Header.Revision, "the erasure and the holder's deletion are one revision")
	})

	assert.True(t, exists(siblingKey), "the sibling's Workspace, whose name the doomed one's is a prefix of, stays")
	assert.True(t, exists(siblingData), "the sibling's content stays")
	got, err := store.Get(ctxFor("doomedx"), "data", &metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "doomedx", got.(*corev1.ConfigMap).Data["v"])
}
