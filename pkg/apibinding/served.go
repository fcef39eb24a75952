package apibinding

import (
	"sort"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/gantry-dev/gantry/pkg/customresources"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Served holds, per workspace, the CRDs that stand for its bound resources. It implements
// customresources.BoundResources; the controller replaces a workspace's set whenever its bindings change.
type Served struct {
	mu        sync.RWMutex
	byCluster map[logicalcluster.Name]map[string]*apiextensionsv1.CustomResourceDefinition
}

var _ customresources.BoundResources = &Served{}

// NewServed returns an empty Served.
func NewServed() *Served {
	return &Served{byCluster: map[logicalcluster.Name]map[string]*apiextensionsv1.CustomResourceDefinition{}}
}

// CRD implements customresources.BoundResources.
func (s *Served) CRD(cluster logicalcluster.Name, group, resource string) *apiextensionsv1.CustomResourceDefinition {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byCluster[cluster][resource+"."+group]
}

// CRDs implements customresources.BoundResources.
func (s *Served) CRDs(cluster logicalcluster.Name) []*apiextensionsv1.CustomResourceDefinition {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(s.byCluster[cluster]))
	for _, crd := range s.byCluster[cluster] {
		out = append(out, crd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// set replaces the bound CRDs of a workspace.
func (s *Served) set(cluster logicalcluster.Name, crds []*apiextensionsv1.CustomResourceDefinition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(crds) == 0 {
		delete(s.byCluster, cluster)
		return
	}
	byName := make(map[string]*apiextensionsv1.CustomResourceDefinition, len(crds))
	for _, crd := range crds {
		byName[crd.Name] = crd
	}
	s.byCluster[cluster] = byName
}
