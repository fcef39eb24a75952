package crdset

import (
	"sort"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// BoundAnnotation marks a CRD that stands for a bound resource; its value is the key of the APIExport it comes
// from (logicalcluster.Key of the export's cluster and name).
const BoundAnnotation = "apis.gantry.dev/export"

// IsBound reports whether a CRD stands for a bound resource. A bound CRD's UID is the identity of its export: the
// storage of one exported resource is shared by every workspace that binds it, each under its own cluster.
func IsBound(crd *apiextensionsv1.CustomResourceDefinition) bool {
	_, ok := crd.Annotations[BoundAnnotation]
	return ok
}

// Servable reports whether a CRD's names are accepted and it is established.
func Servable(crd *apiextensionsv1.CustomResourceDefinition) bool {
	return apihelpers.IsCRDConditionTrue(crd, apiextensionsv1.Established) && crd.Status.AcceptedNames.Plural != ""
}

// StoragePrefix is where the objects of a CRD live, below the storage root and above the cluster. The UID is the
// identity of the schema, so a CRD deleted and created again starts empty, and two workspaces' CRDs of the same
// name never share a prefix.
func StoragePrefix(crd *apiextensionsv1.CustomResourceDefinition) string {
	return clusterstore.CustomResourcePrefix(schema.GroupResource{Group: crd.Spec.Group, Resource: crd.Spec.Names.Plural}, string(crd.UID))
}

// Set answers which CRDs each workspace serves: its own (Local) and its bound ones, and which CRDs each APIExport
// offers. It is safe for concurrent use.
type Set struct {
	// Local holds every workspace's own CRDs.
	Local *Index

	mu      sync.RWMutex
	bound   map[logicalcluster.Name]map[string]*apiextensionsv1.CustomResourceDefinition
	exports map[string][]*apiextensionsv1.CustomResourceDefinition
}

// NewSet returns an empty Set.
func NewSet() *Set {
	return &Set{Local: NewIndex(), bound: map[logicalcluster.Name]map[string]*apiextensionsv1.CustomResourceDefinition{},
		exports: map[string][]*apiextensionsv1.CustomResourceDefinition{}}
}

// ForResource returns the CRD serving group/resource in cluster, or nil: a bound resource, which was there first
// when a local CRD claims the same name (that CRD is then refused its names), else the workspace's own CRD.
func (s *Set) ForResource(cluster logicalcluster.Name, group, resource string) *apiextensionsv1.CustomResourceDefinition {
	if crd := s.Bound(cluster, group, resource); crd != nil {
		return crd
	}
	return s.Local.ForResource(cluster, group, resource)
}

// Bound returns the bound CRD serving group/resource in cluster, or nil.
func (s *Set) Bound(cluster logicalcluster.Name, group, resource string) *apiextensionsv1.CustomResourceDefinition {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return matching(s.bound[cluster][Name(group, resource)], group)
}

// Name is the name of the CRD serving group/resource: "<plural>.<group>", or "<plural>.core" for the core group
// (""), whose resources only bindings serve (apischema.GroupSuffix).
func Name(group, resource string) string {
	if group == "" {
		return resource + ".core"
	}
	return resource + "." + group
}

// matching returns crd when it is of group, else nil: "services.core" serves the core group's services, never a
// group named "core".
func matching(crd *apiextensionsv1.CustomResourceDefinition, group string) *apiextensionsv1.CustomResourceDefinition {
	if crd == nil || crd.Spec.Group != group {
		return nil
	}
	return crd
}

// InCluster returns every CRD of cluster, bound ones included, sorted by name; a bound CRD hides a local one of
// the same name.
func (s *Set) InCluster(cluster logicalcluster.Name) []*apiextensionsv1.CustomResourceDefinition {
	local := s.Local.InCluster(cluster)
	s.mu.RLock()
	bound := s.bound[cluster]
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(local)+len(bound))
	for _, crd := range bound {
		out = append(out, crd)
	}
	s.mu.RUnlock()
	if len(out) == 0 {
		return local
	}
	for _, crd := range local {
		if bound[crd.Name] == nil {
			out = append(out, crd)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// SetBound replaces the bound CRDs of a workspace.
func (s *Set) SetBound(cluster logicalcluster.Name, crds []*apiextensionsv1.CustomResourceDefinition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(crds) == 0 {
		delete(s.bound, cluster)
		return
	}
	byName := make(map[string]*apiextensionsv1.CustomResourceDefinition, len(crds))
	for _, crd := range crds {
		byName[crd.Name] = crd
	}
	s.bound[cluster] = byName
}

// Export returns the CRDs of what an APIExport offers, under its identity, or none.
func (s *Set) Export(cluster logicalcluster.Name, name string) []*apiextensionsv1.CustomResourceDefinition {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.exports[logicalcluster.Key(cluster, name)]
}

// SetExport replaces what an APIExport offers; none forgets the export.
func (s *Set) SetExport(cluster logicalcluster.Name, name string, crds []*apiextensionsv1.CustomResourceDefinition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(crds) == 0 {
		delete(s.exports, logicalcluster.Key(cluster, name))
		return
	}
	s.exports[logicalcluster.Key(cluster, name)] = crds
}

// StoragePrefixes returns the storage prefix of every CRD cluster serves, for erasing a deleted workspace.
func (s *Set) StoragePrefixes(cluster logicalcluster.Name) []string {
	crds := s.InCluster(cluster)
	out := make([]string, 0, len(crds))
	for _, crd := range crds {
		out = append(out, StoragePrefix(crd))
	}
	return out
}
