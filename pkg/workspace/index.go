package workspace

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"k8s.io/client-go/tools/cache"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// child identifies a workspace by its parent's logical cluster and its name there.
type child struct {
	parent logicalcluster.Name
	name   string
}

// Index maps workspace paths to logical clusters and back. A reflector over a wildcard watch of Workspace objects
// feeds it (it implements cache.ReflectorStore); it holds one small entry per workspace and nothing per request.
type Index struct {
	mu       sync.RWMutex
	objects  map[string]*tenancyv1alpha1.Workspace
	children map[child]logicalcluster.Name
	parents  map[logicalcluster.Name]child
	synced   bool
	notify   []func(key string)
}

var _ cache.ReflectorStore = &Index{}

// NewIndex returns an empty index that knows only the root workspace.
func NewIndex() *Index {
	return &Index{
		objects:  map[string]*tenancyv1alpha1.Workspace{},
		children: map[child]logicalcluster.Name{},
		parents:  map[logicalcluster.Name]child{},
	}
}

// OnChange adds a function called with the key of every workspace that was added, changed or removed. Every
// reader that acts on changes adds its own; all must be added before the index is fed.
func (x *Index) OnChange(f func(key string)) { x.notify = append(x.notify, f) }

// Resolve implements routing.Resolver.
func (x *Index) Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if ref.Path != "" {
		segments := strings.Split(string(ref.Path), ":")
		if segments[0] != string(logicalcluster.RootPath) {
			return "", false
		}
		cluster := logicalcluster.Root
		for _, seg := range segments[1:] {
			next, ok := x.children[child{cluster, seg}]
			if !ok {
				return "", false
			}
			cluster = next
		}
		return cluster, true
	}
	if ref.Name == logicalcluster.Root {
		return logicalcluster.Root, true
	}
	_, ok := x.parents[ref.Name]
	return ref.Name, ok
}

// Path returns the path of a logical cluster.
func (x *Index) Path(cluster logicalcluster.Name) (logicalcluster.Path, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.pathLocked(cluster)
}

func (x *Index) pathLocked(cluster logicalcluster.Name) (logicalcluster.Path, bool) {
	var segments []string
	for depth := 0; cluster != logicalcluster.Root; depth++ {
		c, ok := x.parents[cluster]
		if !ok || depth > logicalcluster.MaxPathSegments {
			return "", false
		}
		segments = append(segments, c.name)
		cluster = c.parent
	}
	path := logicalcluster.RootPath
	for i := len(segments) - 1; i >= 0; i-- {
		path = path.Join(segments[i])
	}
	return path, true
}

// Parent returns the logical cluster of the parent of a workspace and the workspace's type, as its Workspace object
// says. The root workspace has no parent: ok is false for it and for clusters the index does not know.
func (x *Index) Parent(cluster logicalcluster.Name) (parent logicalcluster.Name, typeName string, ok bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	c, ok := x.parents[cluster]
	if !ok {
		return "", "", false
	}
	return c.parent, x.objects[logicalcluster.Key(c.parent, c.name)].Spec.Type, true
}

// Live reports whether a logical cluster belongs to a workspace the index knows that is not being deleted; the
// root workspace always is. Controllers that create objects in every workspace ask it, so as not to write into
// one the workspace controller is erasing.
func (x *Index) Live(cluster logicalcluster.Name) bool {
	if cluster == logicalcluster.Root {
		return true
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	c, ok := x.parents[cluster]
	if !ok {
		return false
	}
	ws := x.objects[logicalcluster.Key(c.parent, c.name)]
	return ws != nil && ws.DeletionTimestamp == nil
}

// Get returns the workspace stored under key, or nil.
func (x *Index) Get(key string) *tenancyv1alpha1.Workspace {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.objects[key]
}

// Children returns the keys of the workspaces whose parent is cluster, sorted.
func (x *Index) Children(cluster logicalcluster.Name) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var keys []string
	for c := range x.children {
		if c.parent == cluster {
			keys = append(keys, logicalcluster.Key(c.parent, c.name))
		}
	}
	sort.Strings(keys)
	return keys
}

// HasSynced reports whether the index has seen the first full list.
func (x *Index) HasSynced() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.synced
}

func keyOf(obj interface{}) (string, *tenancyv1alpha1.Workspace, error) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	ws, ok := obj.(*tenancyv1alpha1.Workspace)
	if !ok {
		return "", nil, fmt.Errorf("workspace index: unexpected object %T", obj)
	}
	parent := ws.Annotations[logicalcluster.AnnotationKey]
	if logicalcluster.ValidateName(parent) != nil {
		return "", nil, fmt.Errorf("workspace %q has no valid %s annotation", ws.Name, logicalcluster.AnnotationKey)
	}
	return logicalcluster.Key(logicalcluster.Name(parent), ws.Name), ws, nil
}

func (x *Index) putLocked(key string, ws *tenancyv1alpha1.Workspace) {
	x.objects[key] = ws
	parent, name := logicalcluster.SplitKey(key)
	if cluster := logicalcluster.Name(ws.Spec.Cluster); cluster != "" {
		x.children[child{parent, name}] = cluster
		x.parents[cluster] = child{parent, name}
	}
}

func (x *Index) removeLocked(key string) {
	ws, ok := x.objects[key]
	if !ok {
		return
	}
	delete(x.objects, key)
	parent, name := logicalcluster.SplitKey(key)
	delete(x.children, child{parent, name})
	delete(x.parents, logicalcluster.Name(ws.Spec.Cluster))
}

func (x *Index) changed(keys ...string) {
	for _, notify := range x.notify {
		for _, k := range keys {
			notify(k)
		}
	}
}

// Add implements cache.ReflectorStore.
func (x *Index) Add(obj interface{}) error { return x.Update(obj) }

// Update implements cache.ReflectorStore.
func (x *Index) Update(obj interface{}) error {
	key, ws, err := keyOf(obj)
	if err != nil {
		return err
	}
	x.mu.Lock()
	x.putLocked(key, ws)
	x.mu.Unlock()
	x.changed(key)
	return nil
}

// Delete implements cache.ReflectorStore.
func (x *Index) Delete(obj interface{}) error {
	key, _, err := keyOf(obj)
	if err != nil {
		return err
	}
	x.mu.Lock()
	x.removeLocked(key)
	x.mu.Unlock()
	x.changed(key)
	return nil
}

// Replace implements cache.ReflectorStore.
func (x *Index) Replace(list []interface{}, _ string) error {
	fresh := map[string]*tenancyv1alpha1.Workspace{}
	for _, obj := range list {
		key, ws, err := keyOf(obj)
		if err != nil {
			return err
		}
		fresh[key] = ws
	}
	x.mu.Lock()
	var keys []string
	for key := range x.objects {
		if _, ok := fresh[key]; !ok {
			x.removeLocked(key)
			keys = append(keys, key)
		}
	}
	for key, ws := range fresh {
		x.putLocked(key, ws)
		keys = append(keys, key)
	}
	x.synced = true
	x.mu.Unlock()
	x.changed(keys...)
	return nil
}

// Resync implements cache.ReflectorStore.
func (x *Index) Resync() error { return nil }
