package sdk

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
)

// ClusterAnnotation names the logical cluster of every object Gantry serves.
const ClusterAnnotation = "gantry.dev/cluster"

// ClusterIndex is the informer index of objects by logical cluster.
const ClusterIndex = "cluster"

// ClusterKey is the cache key of an object from any workspace: "<cluster>|<namespace>/<name>", or
// "<cluster>|<name>" for a cluster-scoped one.
func ClusterKey(obj interface{}) (string, error) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return tombstone.Key, nil
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return "", err
	}
	cluster := m.GetAnnotations()[ClusterAnnotation]
	if cluster == "" {
		return "", fmt.Errorf("%s/%s has no %s annotation", m.GetNamespace(), m.GetName(), ClusterAnnotation)
	}
	key := m.GetName()
	if m.GetNamespace() != "" {
		key = m.GetNamespace() + "/" + key
	}
	return cluster + "|" + key, nil
}

// SplitClusterKey reverses ClusterKey.
func SplitClusterKey(key string) (cluster, namespace, name string) {
	cluster, rest, _ := strings.Cut(key, "|")
	namespace, name, found := strings.Cut(rest, "/")
	if !found {
		return cluster, "", namespace
	}
	return cluster, namespace, name
}

// Handler is told of every change the informer sees.
type Handler interface {
	OnAdd(key string, obj interface{})
	OnUpdate(key string, old, obj interface{})
	OnDelete(key string, obj interface{})
}

// WildcardInformer keeps a cache of one resource in every workspace, keyed by ClusterKey and indexed by
// ClusterIndex. Unlike a SharedIndexInformer, same-named objects of different workspaces never overwrite each
// other: neither in its cache nor in its initial list, which it reads with a plain LIST because client-go's
// streaming watch-list collects objects by namespace and name alone.
type WildcardInformer struct {
	lw       cache.ListerWatcher
	example  runtime.Object
	indexer  cache.Indexer
	mu       sync.Mutex
	handlers []Handler
	synced   bool
}

// NewWildcardInformer returns an informer over lw, whose list and watch must span workspaces (a Config of
// Wildcard), of objects like example.
func NewWildcardInformer(lw cache.ListerWatcher, example runtime.Object) *WildcardInformer {
	return &WildcardInformer{
		lw:      ListOnly(lw),
		example: example,
		indexer: cache.NewIndexer(ClusterKey, cache.Indexers{ClusterIndex: func(obj interface{}) ([]string, error) {
			key, err := ClusterKey(obj)
			if err != nil {
				return nil, err
			}
			cluster, _, _ := SplitClusterKey(key)
			return []string{cluster}, nil
		}}),
	}
}

// NewDynamicWildcardInformer returns a WildcardInformer of one resource through a dynamic client of Wildcard.
func NewDynamicWildcardInformer(client dynamic.Interface, resource schema.GroupVersionResource) *WildcardInformer {
	r := client.Resource(resource)
	return NewWildcardInformer(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			return r.List(ctx, opts)
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return r.Watch(ctx, opts)
		},
	}, &unstructured.Unstructured{})
}

// AddHandler registers a handler; it must be called before Run.
func (i *WildcardInformer) AddHandler(h Handler) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.handlers = append(i.handlers, h)
}

// Indexer is the informer's cache.
func (i *WildcardInformer) Indexer() cache.Indexer { return i.indexer }

// Get returns the cached object of a workspace.
func (i *WildcardInformer) Get(cluster, namespace, name string) (interface{}, bool) {
	key := cluster + "|" + name
	if namespace != "" {
		key = cluster + "|" + namespace + "/" + name
	}
	obj, ok, err := i.indexer.GetByKey(key)
	return obj, ok && err == nil
}

// HasSynced reports whether the first list has been read.
func (i *WildcardInformer) HasSynced() bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.synced
}

// Run lists and watches until ctx ends.
func (i *WildcardInformer) Run(ctx context.Context) {
	r := cache.NewReflectorWithOptions(i.lw, i.example, (*reflectorStore)(i), cache.ReflectorOptions{Name: "gantry-wildcard-informer"})
	r.RunWithContext(ctx)
}

// reflectorStore applies what the reflector sees to the cache and tells the handlers.
type reflectorStore WildcardInformer

func (s *reflectorStore) informer() *WildcardInformer { return (*WildcardInformer)(s) }

func (s *reflectorStore) Add(obj interface{}) error { return s.Update(obj) }

func (s *reflectorStore) Update(obj interface{}) error {
	key, err := ClusterKey(obj)
	if err != nil {
		return err
	}
	old, existed, _ := s.indexer.GetByKey(key)
	if err := s.indexer.Add(obj); err != nil {
		return err
	}
	for _, h := range s.informer().handlersCopy() {
		if existed {
			h.OnUpdate(key, old, obj)
		} else {
			h.OnAdd(key, obj)
		}
	}
	return nil
}

func (s *reflectorStore) Delete(obj interface{}) error {
	key, err := ClusterKey(obj)
	if err != nil {
		return err
	}
	if err := s.indexer.Delete(obj); err != nil {
		return err
	}
	for _, h := range s.informer().handlersCopy() {
		h.OnDelete(key, obj)
	}
	return nil
}

func (s *reflectorStore) Replace(list []interface{}, _ string) error {
	fresh := map[string]interface{}{}
	for _, obj := range list {
		key, err := ClusterKey(obj)
		if err != nil {
			return err
		}
		fresh[key] = obj
	}
	for _, key := range s.indexer.ListKeys() {
		if _, ok := fresh[key]; !ok {
			old, _, _ := s.indexer.GetByKey(key)
			if err := s.Delete(cache.DeletedFinalStateUnknown{Key: key, Obj: old}); err != nil {
				return err
			}
		}
	}
	for _, obj := range fresh {
		if err := s.Update(obj); err != nil {
			return err
		}
	}
	s.mu.Lock()
	s.synced = true
	s.mu.Unlock()
	return nil
}

func (s *reflectorStore) Resync() error { return nil }

func (i *WildcardInformer) handlersCopy() []Handler {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]Handler(nil), i.handlers...)
}
