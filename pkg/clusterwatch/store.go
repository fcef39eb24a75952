package clusterwatch

import (
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/tools/cache"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Store holds the objects of one resource from every workspace, grouped by workspace and keyed by
// "[namespace/]name" inside it. A reflector over ListWatch feeds it (it implements cache.ReflectorStore); readers
// get a workspace's objects without scanning the others.
type Store[T any] struct {
	mu        sync.RWMutex
	byCluster map[logicalcluster.Name]map[string]T
	synced    bool
	notify    []func(cluster logicalcluster.Name, key string)
	// slim, when set, replaces each object before it is kept, so that an index holds only what its readers use.
	slim func(T) T
}

var _ cache.ReflectorStore = &Store[any]{}

// NewStore returns an empty Store.
func NewStore[T any]() *Store[T] {
	return &Store[T]{byCluster: map[logicalcluster.Name]map[string]T{}}
}

// Slim sets a function that every object passes through before it is kept (after its managed fields were
// dropped): an index of many objects keeps only what its readers use. The function may return its argument,
// changed, or a new object; it must not keep the argument elsewhere. Call it before the store is fed.
func (s *Store[T]) Slim(f func(T) T) *Store[T] {
	s.slim = f
	return s
}

// keep is what the store holds of a decoded object. Managed fields are dropped from every object: no reader of
// an index needs them, they are often larger than the rest of the metadata, and an update built from a kept
// object without them leaves the server's as they are (the server keeps them when a request omits them).
func (s *Store[T]) keep(obj T) T {
	if m, err := meta.Accessor(obj); err == nil && m.GetManagedFields() != nil {
		m.SetManagedFields(nil)
	}
	if s.slim != nil {
		return s.slim(obj)
	}
	return obj
}

// OnChange adds a function called, outside the store's lock, with every object that was added, changed or
// removed (after a relist: every object before and after it). Every reader that acts on changes adds its own; all
// must be added before the store is fed.
func (s *Store[T]) OnChange(f func(cluster logicalcluster.Name, key string)) {
	s.notify = append(s.notify, f)
}

func (s *Store[T]) changed(cluster logicalcluster.Name, key string) {
	for _, f := range s.notify {
		f(cluster, key)
	}
}

// List returns the objects of a workspace, in no particular order.
func (s *Store[T]) List(cluster logicalcluster.Name) []T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]T, 0, len(s.byCluster[cluster]))
	for _, obj := range s.byCluster[cluster] {
		out = append(out, obj)
	}
	return out
}

// Clusters returns the workspaces that have objects, in no particular order.
func (s *Store[T]) Clusters() []logicalcluster.Name {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]logicalcluster.Name, 0, len(s.byCluster))
	for cluster := range s.byCluster {
		out = append(out, cluster)
	}
	return out
}

// Get returns the object stored under "[namespace/]name" in a workspace.
func (s *Store[T]) Get(cluster logicalcluster.Name, key string) (T, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	obj, ok := s.byCluster[cluster][key]
	return obj, ok
}

// HasSynced reports whether the store has seen its first full list.
func (s *Store[T]) HasSynced() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.synced
}

func keyOf[T any](obj interface{}) (logicalcluster.Name, string, T, error) {
	var zero T
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	typed, ok := obj.(T)
	if !ok {
		return "", "", zero, fmt.Errorf("clusterwatch store: unexpected object %T", obj)
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		return "", "", zero, err
	}
	cluster := m.GetAnnotations()[logicalcluster.AnnotationKey]
	if logicalcluster.ValidateName(cluster) != nil {
		return "", "", zero, fmt.Errorf("%T %s/%s has no valid %s annotation", obj, m.GetNamespace(), m.GetName(), logicalcluster.AnnotationKey)
	}
	key := m.GetName()
	if m.GetNamespace() != "" {
		key = m.GetNamespace() + "/" + key
	}
	return logicalcluster.Name(cluster), key, typed, nil
}

// Add implements cache.ReflectorStore.
func (s *Store[T]) Add(obj interface{}) error { return s.Update(obj) }

// Update implements cache.ReflectorStore.
func (s *Store[T]) Update(obj interface{}) error {
	cluster, key, typed, err := keyOf[T](obj)
	if err != nil {
		return err
	}
	typed = s.keep(typed)
	s.mu.Lock()
	if s.byCluster[cluster] == nil {
		s.byCluster[cluster] = map[string]T{}
	}
	s.byCluster[cluster][key] = typed
	s.mu.Unlock()
	s.changed(cluster, key)
	return nil
}

// Delete implements cache.ReflectorStore.
func (s *Store[T]) Delete(obj interface{}) error {
	cluster, key, _, err := keyOf[T](obj)
	if err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.byCluster[cluster], key)
	if len(s.byCluster[cluster]) == 0 {
		delete(s.byCluster, cluster)
	}
	s.mu.Unlock()
	s.changed(cluster, key)
	return nil
}

// Replace implements cache.ReflectorStore.
func (s *Store[T]) Replace(list []interface{}, _ string) error {
	fresh := map[logicalcluster.Name]map[string]T{}
	for _, obj := range list {
		cluster, key, typed, err := keyOf[T](obj)
		if err != nil {
			return err
		}
		if fresh[cluster] == nil {
			fresh[cluster] = map[string]T{}
		}
		fresh[cluster][key] = s.keep(typed)
	}
	s.mu.Lock()
	old := s.byCluster
	s.byCluster = fresh
	s.synced = true
	s.mu.Unlock()
	if len(s.notify) > 0 {
		for _, objects := range []map[logicalcluster.Name]map[string]T{old, fresh} {
			for cluster, byKey := range objects {
				for key := range byKey {
					s.changed(cluster, key)
				}
			}
		}
	}
	return nil
}

// Resync implements cache.ReflectorStore.
func (s *Store[T]) Resync() error { return nil }
