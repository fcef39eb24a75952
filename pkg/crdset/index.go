package crdset

import (
	"fmt"
	"sort"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Index holds the CustomResourceDefinitions stored in every workspace (their own, not the bound ones). A reflector
// over a wildcard watch feeds it: it implements cache.ReflectorStore.
type Index struct {
	mu        sync.RWMutex
	byCluster map[logicalcluster.Name]map[string]*apiextensionsv1.CustomResourceDefinition
	synced    bool
	// watchers are called with the key of every CRD that was added, changed or removed, and the removed object.
	watchers []func(key string, removed *apiextensionsv1.CustomResourceDefinition)
}

var _ cache.ReflectorStore = &Index{}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{byCluster: map[logicalcluster.Name]map[string]*apiextensionsv1.CustomResourceDefinition{}}
}

// Get returns the CRD called name in cluster, or nil.
func (x *Index) Get(cluster logicalcluster.Name, name string) *apiextensionsv1.CustomResourceDefinition {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.byCluster[cluster][name]
}

// ForResource returns the CRD serving group/resource in cluster, or nil. A CRD's name is always
// "<plural>.<group>", so this is a direct lookup.
func (x *Index) ForResource(cluster logicalcluster.Name, group, resource string) *apiextensionsv1.CustomResourceDefinition {
	return matching(x.Get(cluster, Name(group, resource)), group)
}

// InCluster returns the CRDs of a cluster, sorted by name.
func (x *Index) InCluster(cluster logicalcluster.Name) []*apiextensionsv1.CustomResourceDefinition {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(x.byCluster[cluster]))
	for _, crd := range x.byCluster[cluster] {
		out = append(out, crd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// HasSynced reports whether the index has seen the first full list.
func (x *Index) HasSynced() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.synced
}

func clusterOf(obj interface{}) (logicalcluster.Name, *apiextensionsv1.CustomResourceDefinition, error) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition)
	if !ok {
		return "", nil, fmt.Errorf("crd index: unexpected object %T", obj)
	}
	cluster := crd.Annotations[logicalcluster.AnnotationKey]
	if logicalcluster.ValidateName(cluster) != nil {
		return "", nil, fmt.Errorf("CRD %q has no valid %s annotation", crd.Name, logicalcluster.AnnotationKey)
	}
	return logicalcluster.Name(cluster), crd, nil
}

// Watch registers f, called with the key of every CRD added, changed or removed, and the removed object (nil
// unless the CRD went or was replaced by one of another UID). It must be set before the index is fed.
func (x *Index) Watch(f func(key string, removed *apiextensionsv1.CustomResourceDefinition)) {
	x.watchers = append(x.watchers, f)
}

func (x *Index) notify(key string, removed *apiextensionsv1.CustomResourceDefinition) {
	for _, f := range x.watchers {
		f(key, removed)
	}
}

// Add implements cache.ReflectorStore.
func (x *Index) Add(obj interface{}) error { return x.Update(obj) }

// Update implements cache.ReflectorStore.
func (x *Index) Update(obj interface{}) error {
	cluster, crd, err := clusterOf(obj)
	if err != nil {
		return err
	}
	x.mu.Lock()
	if x.byCluster[cluster] == nil {
		x.byCluster[cluster] = map[string]*apiextensionsv1.CustomResourceDefinition{}
	}
	old := x.byCluster[cluster][crd.Name]
	x.byCluster[cluster][crd.Name] = crd
	x.mu.Unlock()
	var replaced *apiextensionsv1.CustomResourceDefinition
	if old != nil && old.UID != crd.UID {
		replaced = old // deleted and recreated between two events: the old one's objects must go
	}
	x.notify(logicalcluster.Key(cluster, crd.Name), replaced)
	return nil
}

// Delete implements cache.ReflectorStore.
func (x *Index) Delete(obj interface{}) error {
	cluster, crd, err := clusterOf(obj)
	if err != nil {
		return err
	}
	x.mu.Lock()
	delete(x.byCluster[cluster], crd.Name)
	if len(x.byCluster[cluster]) == 0 {
		delete(x.byCluster, cluster)
	}
	x.mu.Unlock()
	x.notify(logicalcluster.Key(cluster, crd.Name), crd)
	return nil
}

// Replace implements cache.ReflectorStore.
func (x *Index) Replace(list []interface{}, _ string) error {
	fresh := map[logicalcluster.Name]map[string]*apiextensionsv1.CustomResourceDefinition{}
	for _, obj := range list {
		cluster, crd, err := clusterOf(obj)
		if err != nil {
			return err
		}
		if fresh[cluster] == nil {
			fresh[cluster] = map[string]*apiextensionsv1.CustomResourceDefinition{}
		}
		fresh[cluster][crd.Name] = crd
	}
	x.mu.Lock()
	old := x.byCluster
	x.byCluster = fresh
	x.synced = true
	x.mu.Unlock()
	for cluster, crds := range old {
		for name, crd := range crds {
			if now := fresh[cluster][name]; now == nil || now.UID != crd.UID {
				x.notify(logicalcluster.Key(cluster, name), crd)
			}
		}
	}
	for cluster, crds := range fresh {
		for name := range crds {
			x.notify(logicalcluster.Key(cluster, name), nil)
		}
	}
	return nil
}

// Resync implements cache.ReflectorStore.
func (x *Index) Resync() error { return nil }
