package clusterstore

import (
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage/storagebackend"
)

// CodecFunc returns the storage codec of a resource and the version it is encoded to.
type CodecFunc func(resource schema.GroupResource) (runtime.Codec, runtime.GroupVersioner, error)

// RESTOptionsGetter hands every genericregistry.Store the workspace-aware Decorator and the key layout
// /registry/<group>/<resource>/<cluster>/[<namespace>/]<name> (group "core" for the legacy group).
type RESTOptionsGetter struct {
	// Storage is the etcd configuration shared by all resources; Prefix is normally "/registry".
	Storage storagebackend.Config
	// Codec returns the storage codec of each resource.
	Codec CodecFunc

	mu       sync.Mutex
	prefixes map[string]bool
}

var _ generic.RESTOptionsGetter = &RESTOptionsGetter{}

// GetRESTOptions implements generic.RESTOptionsGetter.
func (g *RESTOptionsGetter) GetRESTOptions(resource schema.GroupResource, _ runtime.Object) (generic.RESTOptions, error) {
	codec, versioner, err := g.Codec(resource)
	if err != nil {
		return generic.RESTOptions{}, err
	}
	return g.RESTOptionsWithPrefix(resource, ResourcePrefix(resource), codec, versioner), nil
}

// RESTOptionsWithPrefix returns the options of a resource stored under an explicit prefix with an explicit codec,
// for storage whose prefix carries more than the resource (a custom resource's schema identity).
func (g *RESTOptionsGetter) RESTOptionsWithPrefix(resource schema.GroupResource, prefix string, codec runtime.Codec, versioner runtime.GroupVersioner) generic.RESTOptions {
	g.mu.Lock()
	if g.prefixes == nil {
		g.prefixes = map[string]bool{}
	}
	g.prefixes[prefix] = true
	g.mu.Unlock()

	config := g.Storage.ForResource(resource)
	config.Codec = codec
	config.EncodeVersioner = versioner
	return generic.RESTOptions{
		StorageConfig:           config,
		Decorator:               Decorator(),
		DeleteCollectionWorkers: 1,
		// Honour propagationPolicy: Foreground and Orphan add their finalizers, which the garbage collector removes.
		EnableGarbageCollection: true,
		ResourcePrefix:          prefix,
	}
}

// ResourcePrefixes returns the storage prefix of every resource storage was handed out for, sorted.
func (g *RESTOptionsGetter) ResourcePrefixes() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.prefixes))
	for p := range g.prefixes {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
