package clusterstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/client/v3/kubernetes"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apimachinery/pkg/watch"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/storage/etcd3/testserver"
	"k8s.io/apiserver/pkg/storage/names"
	"k8s.io/apiserver/pkg/storage/storagebackend"

	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
)

type cmStrategy struct {
	runtime.ObjectTyper
	names.NameGenerator
}

func (cmStrategy) NamespaceScoped() bool                                            { return true }
func (cmStrategy) PrepareForCreate(context.Context, runtime.Object)                 {}
func (cmStrategy) PrepareForUpdate(context.Context, runtime.Object, runtime.Object) {}
func (cmStrategy) Validate(context.Context, runtime.Object) field.ErrorList         { return nil }
func (cmStrategy) ValidateUpdate(context.Context, runtime.Object, runtime.Object) field.ErrorList {
	return nil
}
func (cmStrategy) WarningsOnCreate(context.Context, runtime.Object) []string { return nil }
func (cmStrategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}
func (cmStrategy) Canonicalize(runtime.Object)                   {}
func (cmStrategy) AllowCreateOnUpdate(context.Context) bool      { return false }
func (cmStrategy) AllowUnconditionalUpdate(context.Context) bool { return true }

func newConfigMapStore(t *testing.T) (*genericregistry.Store, *clusterstore.RESTOptionsGetter, func(key string) bool) {
	t.Helper()
	return configMapStoreOn(t, testserver.RunEtcd(t, nil))
}

// configMapStoreOn builds a configmap store, with a fresh watch cache, over an existing etcd.
func configMapStoreOn(t *testing.T, etcdClient *kubernetes.Client) (*genericregistry.Store, *clusterstore.RESTOptionsGetter, func(key string) bool) {
	t.Helper()
	cfg := storagebackend.NewDefaultConfig("/registry", nil)
	cfg.Transport.ServerList = etcdClient.Endpoints()
	getter := &clusterstore.RESTOptionsGetter{Storage: *cfg, Codec: func(schema.GroupResource) (runtime.Codec, runtime.GroupVersioner, error) {
		return serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
			StorageMediaType: runtime.ContentTypeProtobuf, StorageSerializer: registry.Codecs,
			StorageVersion: corev1.SchemeGroupVersion, MemoryVersion: registry.InternalVersion(""),
		})
	}}
	s := cmStrategy{ObjectTyper: registry.Scheme, NameGenerator: names.SimpleNameGenerator}
	store := &genericregistry.Store{
		NewFunc:                   func() runtime.Object { return &corev1.ConfigMap{} },
		NewListFunc:               func() runtime.Object { return &corev1.ConfigMapList{} },
		DefaultQualifiedResource:  corev1.Resource("configmaps"),
		SingularQualifiedResource: corev1.Resource("configmap"),
		CreateStrategy:            s, UpdateStrategy: s, DeleteStrategy: s,
		TableConvertor: rest.NewDefaultTableConvertor(corev1.Resource("configmaps")),
	}
	require.NoError(t, store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: getter}))
	t.Cleanup(store.Destroy)
	exists := func(key string) bool {
		resp, err := etcdClient.KV.Get(context.Background(), key)
		require.NoError(t, err)
		return len(resp.Kvs) == 1
	}
	return store, getter, exists
}

// listWhenReady lists, retrying while a new watch cache answers "storage is (re)initializing", as clients do.
func listWhenReady(t *testing.T, store *genericregistry.Store, ctx context.Context, opts *metainternalversion.ListOptions) runtime.Object {
	t.Helper()
	var list runtime.Object
	var err error
	require.Eventually(t, func() bool {
		list, err = store.List(ctx, opts)
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "list never succeeded")
	require.NoError(t, err)
	return list
}

func ctxFor(cluster logicalcluster.Name) context.Context {
	ctx := genericapirequest.WithNamespace(genericapirequest.NewContext(), "default")
	return logicalcluster.WithCluster(ctx, cluster)
}

func cm(name, value string, annotations map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Annotations: annotations}, Data: map[string]string{"v": value}}
}

func TestStorageIsolation(t *testing.T) {
	etcdClient := testserver.RunEtcd(t, nil)
	store, getter, exists := configMapStoreOn(t, etcdClient)
	a, b := ctxFor("clustera"), ctxFor("clusterb")

	t.Run("no workspace in context fails closed", func(t *testing.T) {
		noCluster := genericapirequest.WithNamespace(genericapirequest.NewContext(), "default")
		_, err := store.Create(noCluster, cm("x", "1", nil), nil, &metav1.CreateOptions{})
		require.Error(t, err)
		_, err = store.Get(noCluster, "x", &metav1.GetOptions{})
		require.Error(t, err)
		_, err = store.List(noCluster, &metainternalversion.ListOptions{})
		require.Error(t, err)
	})

	_, err := store.Create(a, cm("same", "a", nil), nil, &metav1.CreateOptions{})
	require.NoError(t, err)
	created, err := store.Create(b, cm("same", "b", nil), nil, &metav1.CreateOptions{})
	require.NoError(t, err)
	lastRV := created.(*corev1.ConfigMap).ResourceVersion

	t.Run("keys carry the cluster", func(t *testing.T) {
		assert.True(t, exists("/registry/core/configmaps/clustera/default/same"))
		assert.True(t, exists("/registry/core/configmaps/clusterb/default/same"))
		assert.False(t, exists("/registry/core/configmaps/default/same"))
		assert.Equal(t, []string{"core/configmaps"}, getter.ResourcePrefixes())
	})

	t.Run("get, list and the cache are per workspace", func(t *testing.T) {
		for ctx, want := range map[context.Context]string{a: "a", b: "b"} {
			got, err := store.Get(ctx, "same", &metav1.GetOptions{})
			require.NoError(t, err)
			assert.Equal(t, want, got.(*corev1.ConfigMap).Data["v"])
			// From etcd, and from the watch cache once it has caught up with the last write.
			for _, opts := range []metainternalversion.ListOptions{{}, {ResourceVersion: lastRV, ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan}} {
				list := listWhenReady(t, store, ctx, &opts)
				items := list.(*corev1.ConfigMapList).Items
				require.Len(t, items, 1, "rv=%q", opts.ResourceVersion)
				assert.Equal(t, want, items[0].Data["v"])
			}
		}
	})

	t.Run("the cluster annotation is stamped and protected", func(t *testing.T) {
		lastRV = checkAnnotationStampedAndProtected(t, store, a, b, exists)
	})

	t.Run("watch is per workspace, wildcard sees all", func(t *testing.T) {
		checkWatchPerWorkspace(t, store, a, b, lastRV)
	})

	t.Run("a fresh watch cache keeps every workspace's same-named objects", func(t *testing.T) {
		// What a restart does: a new cache fills itself from etcd. Same-named objects of different workspaces must
		// all arrive, each under its own workspace.
		fresh, _, _ := configMapStoreOn(t, etcdClient)
		for ctx, want := range map[context.Context]string{a: "a2", b: "b"} {
			list := listWhenReady(t, fresh, ctx, &metainternalversion.ListOptions{ResourceVersion: lastRV, ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan})
			values := map[string]string{}
			for _, item := range list.(*corev1.ConfigMapList).Items {
				values[item.Name] = item.Data["v"]
			}
			assert.Equal(t, want, values["same"])
			assert.Contains(t, values, "later")
		}
	})

	t.Run("erase refuses an invalid cluster name before any delete", func(t *testing.T) {
		eraser := &clusterstore.Eraser{Client: nil, Getter: getter}
		for _, cluster := range []logicalcluster.Name{"../x", ""} {
			_, err := eraser.EraseAndDelete(context.Background(), cluster, clusterstore.StoredObject{})
			require.Error(t, err, cluster)
		}
	})
}

// checkAnnotationStampedAndProtected checks that the gantry.dev/cluster annotation of the object "same" in a is
// stamped, cannot claim b and is re-stamped when removed; it returns the resource version of its last write.
func checkAnnotationStampedAndProtected(t *testing.T, store *genericregistry.Store, a, b context.Context, exists func(string) bool) string {
	t.Helper()
	got, err := store.Get(a, "same", &metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "clustera", got.(*corev1.ConfigMap).Annotations[logicalcluster.AnnotationKey])
	_, err = store.Create(a, cm("claims", "x", map[string]string{logicalcluster.AnnotationKey: "clusterb"}), nil, &metav1.CreateOptions{})
	assert.True(t, apierrors.IsBadRequest(err), "%v", err)
	assert.False(t, exists("/registry/core/configmaps/clusterb/default/claims"))
	assert.False(t, exists("/registry/core/configmaps/clustera/default/claims"))

	stolen := got.(*corev1.ConfigMap).DeepCopy()
	stolen.Annotations[logicalcluster.AnnotationKey] = "clusterb"
	stolen.Data["v"] = "stolen"
	_, _, err = store.Update(a, "same", rest.DefaultUpdatedObjectInfo(stolen), nil, nil, false, &metav1.UpdateOptions{})
	assert.True(t, apierrors.IsBadRequest(err), "%v", err)

	stripped := got.(*corev1.ConfigMap).DeepCopy()
	stripped.Annotations = nil
	stripped.Data["v"] = "a2"
	updated, _, err := store.Update(a, "same", rest.DefaultUpdatedObjectInfo(stripped), nil, nil, false, &metav1.UpdateOptions{})
	require.NoError(t, err)
	assert.Equal(t, "clustera", updated.(*corev1.ConfigMap).Annotations[logicalcluster.AnnotationKey], "re-stamped")
	fromB, err := store.Get(b, "same", &metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, "b", fromB.(*corev1.ConfigMap).Data["v"])
	return updated.(*corev1.ConfigMap).ResourceVersion
}

// checkWatchPerWorkspace checks that a watch from lastRV in a sees only a's events, in order, and a wildcard watch
// sees every workspace's.
func checkWatchPerWorkspace(t *testing.T, store *genericregistry.Store, a, b context.Context, lastRV string) {
	t.Helper()
	// Watch from the last write: only what follows is delivered.
	wa, err := store.Watch(a, &metainternalversion.ListOptions{ResourceVersion: lastRV})
	require.NoError(t, err)
	defer wa.Stop()
	wall, err := store.Watch(ctxFor(logicalcluster.Wildcard), &metainternalversion.ListOptions{ResourceVersion: lastRV})
	require.NoError(t, err)
	defer wall.Stop()
	_, err = store.Create(b, cm("later", "b", nil), nil, &metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = store.Create(a, cm("later", "a", nil), nil, &metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = store.Create(a, cm("last", "a", nil), nil, &metav1.CreateOptions{})
	require.NoError(t, err)

	var seenA []string
	deadline := time.After(10 * time.Second)
	for len(seenA) < 2 {
		seenA = append(seenA, nextWatchKey(t, wa, deadline, fmt.Sprintf("watch in A saw %v", seenA)))
	}
	assert.Equal(t, []string{"clustera/later", "clustera/last"}, seenA, "A's watch sees A's events only, in order")

	seenAll := map[string]bool{}
	for len(seenAll) < 3 {
		seenAll[nextWatchKey(t, wall, deadline, fmt.Sprintf("wildcard watch saw %v", seenAll))] = true
	}
	assert.Equal(t, map[string]bool{"clusterb/later": true, "clustera/later": true, "clustera/last": true}, seenAll)
	_, err = store.Get(ctxFor(logicalcluster.Wildcard), "same", &metav1.GetOptions{})
	assert.True(t, apierrors.IsBadRequest(err), "wildcard get must be refused by storage too: %v", err)
}

// nextWatchKey returns "<cluster>/<name>" of w's next event, failing with seen once deadline passes.
func nextWatchKey(t *testing.T, w watch.Interface, deadline <-chan time.Time, seen string) string {
	t.Helper()
	select {
	case ev := <-w.ResultChan():
		c, err := meta.Accessor(ev.Object)
		require.NoError(t, err)
		return c.GetAnnotations()[logicalcluster.AnnotationKey] + "/" + c.GetName()
	case <-deadline:
		t.Fatal(seen)
		return ""
	}
}
