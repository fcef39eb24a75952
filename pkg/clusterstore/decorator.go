package clusterstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	cacherstorage "k8s.io/apiserver/pkg/storage/cacher"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk"
)

// unknownCluster is the cache key segment for an object that somehow lacks the cluster annotation. It is not a
// valid logical cluster name, so no request can ever list it; the object stays in the cache without breaking it.
const unknownCluster = "_unannotated"

// Decorator returns the storage decorator that makes a resource's storage workspace-aware and cached.
func Decorator() generic.StorageDecorator {
	return func(
		config *storagebackend.ConfigForResource,
		resourcePrefix string,
		keyFunc func(obj runtime.Object) (string, error),
		newFunc func() runtime.Object,
		newListFunc func() runtime.Object,
		getAttrsFunc storage.AttrFunc,
		triggerFuncs storage.IndexerFuncs,
		indexers *cache.Indexers,
	) (storage.Interface, factory.DestroyFunc, error) {
		raw, destroyRaw, err := generic.NewRawStorage(config, newFunc, newListFunc, resourcePrefix)
		if err != nil {
			return nil, nil, err
		}
		cacher, err := cacherstorage.NewCacherFromConfig(cacherstorage.Config{
			Storage:             listOnlyStorage{Interface: raw},
			Versioner:           storage.APIObjectVersioner{},
			GroupResource:       config.GroupResource,
			EventsHistoryWindow: config.EventsHistoryWindow,
			ResourcePrefix:      resourcePrefix,
			KeyFunc:             CacheKeyFunc(resourcePrefix, keyFunc),
			NewFunc:             newFunc,
			NewListFunc:         newListFunc,
			GetAttrsFunc:        withClusterField(getAttrsFunc),
			IndexerFuncs:        clusterTrigger(config.GroupResource.String(), triggerFuncs),
			Indexers:            indexers,
			Codec:               config.Codec,
		})
		if err != nil {
			destroyRaw()
			return nil, nil, err
		}
		delegator := cacherstorage.NewCacheDelegator(cacher, raw)
		var once sync.Once
		destroy := func() {
			once.Do(func() {
				delegator.Stop()
				cacher.Stop()
				destroyRaw()
			})
		}
		return New(delegator, resourcePrefix), destroy, nil
	}
}

// clusterTriggerField is the field by which the watch cache indexes its watchers: an object's logical cluster
// (its gantry.dev/cluster annotation, unknownCluster without a valid one). A watch in one workspace names it in its
// field selector, so that an event is handed only to the watchers of its own workspace and to the wildcard ones,
// instead of to every watcher of the resource in every workspace (each of which would wake up to filter it out).
// It is not a field a client can select on: the registry's field label conversion refuses it.
const clusterTriggerField = "gantry.dev/cluster"

// clusterTrigger is the watch cache's trigger function: the cluster of an object. It replaces the resource's own
// (pods' spec.nodeName, the only one upstream), since the watch cache takes a single trigger; a watch selecting on
// that field still gets only matching events, by filtering.
func clusterTrigger(resource string, own storage.IndexerFuncs) storage.IndexerFuncs {
	if len(own) > 0 {
		klog.V(4).InfoS("The watch cache indexes watchers by workspace instead of the resource's trigger", "resource", resource)
	}
	return storage.IndexerFuncs{clusterTriggerField: clusterOfObject}
}

// clusterOfObject is the logical cluster of obj from its annotation, or unknownCluster.
func clusterOfObject(obj runtime.Object) string {
	if accessor, err := meta.Accessor(obj); err == nil {
		if c := accessor.GetAnnotations()[logicalcluster.AnnotationKey]; logicalcluster.ValidateName(c) == nil {
			return c
		}
	}
	return unknownCluster
}

// withClusterField adds clusterTriggerField to the fields attrs returns, so that a watch's cluster selector matches.
func withClusterField(attrs storage.AttrFunc) storage.AttrFunc {
	return func(obj runtime.Object) (labels.Set, fields.Set, error) {
		l, f, err := attrs(obj)
		if err != nil {
			return nil, nil, err
		}
		withCluster := make(fields.Set, len(f)+1)
		for k, v := range f {
			withCluster[k] = v
		}
		withCluster[clusterTriggerField] = clusterOfObject(obj)
		return l, withCluster, nil
	}
}

// listOnlyStorage makes the cacher fill itself with a classic list and watch (see sdk.NoWatchList): one cacher
// serves every workspace, so its initial list must keep same-named objects of different workspaces apart.
type listOnlyStorage struct {
	storage.Interface
	sdk.NoWatchList
}

// CacheKeyFunc turns the Store's cluster-unaware key function (resourcePrefix/[namespace/]name) into one that
// derives the full storage key from the object's gantry.dev/cluster annotation.
func CacheKeyFunc(resourcePrefix string, keyFunc func(obj runtime.Object) (string, error)) func(obj runtime.Object) (string, error) {
	return func(obj runtime.Object) (string, error) {
		key, err := keyFunc(obj)
		if err != nil {
			return "", err
		}
		return insertCluster(resourcePrefix, key, clusterOfObject(obj))
	}
}

// New wraps s, whose keys are full (cluster-bearing) keys, into a storage.Interface that takes the cluster-unaware
// keys a genericregistry.Store produces and adds the cluster of the request context.
func New(s storage.Interface, resourcePrefix string) storage.Interface {
	return &clusterStorage{Interface: s, resourcePrefix: resourcePrefix}
}

type clusterStorage struct {
	storage.Interface
	resourcePrefix string
}

func insertCluster(resourcePrefix, key, cluster string) (string, error) {
	if key != resourcePrefix && !strings.HasPrefix(key, resourcePrefix+"/") {
		return "", fmt.Errorf("storage key %q lacks resource prefix %q", key, resourcePrefix)
	}
	return resourcePrefix + "/" + cluster + key[len(resourcePrefix):], nil
}

// clusterFrom returns the concrete logical cluster of ctx, refusing a missing cluster and the wildcard.
func clusterFrom(ctx context.Context) (logicalcluster.Name, error) {
	cluster, ok := logicalcluster.From(ctx)
	if !ok {
		return "", apierrors.NewInternalError(fmt.Errorf("no workspace in request context"))
	}
	if cluster == logicalcluster.Wildcard {
		return "", apierrors.NewBadRequest("the wildcard workspace '*' allows only list and watch")
	}
	if err := logicalcluster.ValidateName(string(cluster)); err != nil {
		return "", apierrors.NewBadRequest(err.Error())
	}
	return cluster, nil
}

func (s *clusterStorage) objectKey(ctx context.Context, key string) (string, logicalcluster.Name, error) {
	cluster, err := clusterFrom(ctx)
	if err != nil {
		return "", "", err
	}
	full, err := insertCluster(s.resourcePrefix, key, string(cluster))
	return full, cluster, err
}

// listKey maps a list or watch key. For the wildcard it reads the whole resource prefix, narrowed to the request's
// namespace (if any) by a field selector, because the namespace follows the cluster in the key.
func (s *clusterStorage) listKey(ctx context.Context, key string, opts storage.ListOptions) (string, storage.ListOptions, error) {
	if cluster, ok := logicalcluster.From(ctx); ok && cluster == logicalcluster.Wildcard {
		opts.Recursive = true
		if ns, ok := genericapirequest.NamespaceFrom(ctx); ok && ns != "" {
			nsSelector := fields.OneTermEqualSelector("metadata.namespace", ns)
			if opts.Predicate.Field == nil || opts.Predicate.Field.Empty() {
				opts.Predicate.Field = nsSelector
			} else {
				opts.Predicate.Field = fields.AndSelectors(opts.Predicate.Field, nsSelector)
			}
		}
		return s.resourcePrefix, opts, nil
	}
	full, _, err := s.objectKey(ctx, key)
	return full, opts, err
}

// stamp sets the cluster annotation on obj, refusing an object that claims another workspace.
func stamp(obj runtime.Object, cluster logicalcluster.Name) error {
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	annotations := accessor.GetAnnotations()
	if claimed, ok := annotations[logicalcluster.AnnotationKey]; ok && claimed != string(cluster) {
		return apierrors.NewBadRequest(fmt.Sprintf(
			"metadata.annotations[%s] is %q, but this request writes to workspace %q: the annotation is set by the server; omit it",
			logicalcluster.AnnotationKey, claimed, cluster))
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[logicalcluster.AnnotationKey] = string(cluster)
	accessor.SetAnnotations(annotations)
	return nil
}

func (s *clusterStorage) Create(ctx context.Context, key string, obj, out runtime.Object, ttl uint64) error {
	full, cluster, err := s.objectKey(ctx, key)
	if err != nil {
		return err
	}
	if err := stamp(obj, cluster); err != nil {
		return err
	}
	return s.Interface.Create(ctx, full, obj, out, ttl)
}

func (s *clusterStorage) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validateDeletion storage.ValidateObjectFunc, cachedExistingObject runtime.Object, opts storage.DeleteOptions) error {
	full, _, err := s.objectKey(ctx, key)
	if err != nil {
		return err
	}
	return s.Interface.Delete(ctx, full, out, preconditions, validateDeletion, cachedExistingObject, opts)
}

func (s *clusterStorage) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	full, opts, err := s.listKey(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	if cluster, ok := logicalcluster.From(ctx); ok && cluster != logicalcluster.Wildcard {
		opts.Predicate = selectCluster(opts.Predicate, string(cluster))
	}
	return s.Interface.Watch(ctx, full, opts)
}

// selectCluster narrows p to objects of cluster by clusterTriggerField, which the watch cache indexes its watchers
// by. The key prefix already confines the watch to the cluster; the selector only lets the cache find its watchers.
func selectCluster(p storage.SelectionPredicate, cluster string) storage.SelectionPredicate {
	term := fields.OneTermEqualSelector(clusterTriggerField, cluster)
	if p.Field == nil || p.Field.Empty() {
		p.Field = term
	} else {
		p.Field = fields.AndSelectors(p.Field, term)
	}
	if p.Label == nil {
		p.Label = labels.Everything()
	}
	p.IndexFields = append(slices.Clone(p.IndexFields), clusterTriggerField)
	getAttrs := p.GetAttrs
	if getAttrs == nil { // an empty predicate needs none; the selector added here does
		getAttrs = storage.DefaultNamespaceScopedAttr
	}
	p.GetAttrs = withClusterField(getAttrs)
	return p
}

func (s *clusterStorage) Get(ctx context.Context, key string, opts storage.GetOptions, objPtr runtime.Object) error {
	full, _, err := s.objectKey(ctx, key)
	if err != nil {
		return err
	}
	return s.Interface.Get(ctx, full, opts, objPtr)
}

func (s *clusterStorage) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	full, opts, err := s.listKey(ctx, key, opts)
	if err != nil {
		return err
	}
	return s.Interface.GetList(ctx, full, opts, listObj)
}

func (s *clusterStorage) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc, cachedExistingObject runtime.Object) error {
	full, cluster, err := s.objectKey(ctx, key)
	if err != nil {
		return err
	}
	stampingUpdate := func(input runtime.Object, res storage.ResponseMeta) (runtime.Object, *uint64, error) {
		out, ttl, err := tryUpdate(input, res)
		if err != nil {
			return nil, nil, err
		}
		if err := stamp(out, cluster); err != nil {
			return nil, nil, err
		}
		return out, ttl, nil
	}
	return s.Interface.GuaranteedUpdate(ctx, full, destination, ignoreNotFound, preconditions, stampingUpdate, cachedExistingObject)
}
