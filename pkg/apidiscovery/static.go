package apidiscovery

import (
	"net/http"
	"slices"
	"sort"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
)

// StaticResource is a resource a virtual workspace serves besides its CRDs' (a built-in resource, or the CRDs
// themselves): listed in its discovery, with its own verbs, but not in its OpenAPI.
type StaticResource struct {
	// GroupVersion is where the resource is served; the empty group is the core group, under /api.
	GroupVersion schema.GroupVersion
	// Resource is its discovery entry: Name, SingularName, Namespaced, Kind, Verbs, ShortNames.
	Resource metav1.APIResource
}

// withStatic returns groups with the static resources added, each to its group and version, creating them as
// needed; the core group, when present, is named "".
func withStatic(groups []crdGroup, static []StaticResource) []crdGroup {
	if len(static) == 0 {
		return groups
	}
	out := slices.Clone(groups)
	for _, r := range static {
		i := slices.IndexFunc(out, func(g crdGroup) bool { return g.name == r.GroupVersion.Group })
		if i < 0 {
			out = append(out, crdGroup{name: r.GroupVersion.Group})
			i = len(out) - 1
		}
		g := &out[i]
		if !slices.Contains(g.versions, r.GroupVersion.Version) {
			g.versions = append(slices.Clone(g.versions), r.GroupVersion.Version)
			sort.Slice(g.versions, func(a, b int) bool {
				return version.CompareKubeAwareVersionStrings(g.versions[a], g.versions[b]) > 0
			})
		}
		static := map[string][]metav1.APIResource{}
		for v, resources := range g.static {
			static[v] = resources
		}
		static[r.GroupVersion.Version] = append(slices.Clone(static[r.GroupVersion.Version]), r.Resource)
		g.static = static
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// staticAggregated are a version's static resources for aggregated discovery.
func (g crdGroup) staticAggregated(v string) []apidiscoveryv2.APIResourceDiscovery {
	var out []apidiscoveryv2.APIResourceDiscovery
	for _, r := range g.static[v] {
		scope := apidiscoveryv2.ScopeCluster
		if r.Namespaced {
			scope = apidiscoveryv2.ScopeNamespace
		}
		out = append(out, apidiscoveryv2.APIResourceDiscovery{
			Resource: r.Name, SingularResource: r.SingularName, Scope: scope, Verbs: r.Verbs, ShortNames: r.ShortNames,
			ResponseKind: &metav1.GroupVersionKind{Group: g.name, Version: v, Kind: r.Kind},
		})
	}
	return out
}

// splitCore returns the core group of groups (or nil) and the others.
func splitCore(groups []crdGroup) (*crdGroup, []crdGroup) {
	for i, g := range groups {
		if g.name == "" {
			return &groups[i], append(slices.Clone(groups[:i]), groups[i+1:]...)
		}
	}
	return nil, groups
}

// serveCoreVersion answers /api/<version> when the core group serves it, and reports whether it did: its CRDs'
// resources (bound core-group resources) offering verbs, then its static resources with their own.
func serveCoreVersion(w http.ResponseWriter, v string, groups []crdGroup, verbs []string) bool {
	core, _ := splitCore(groups)
	if core == nil || !slices.Contains(core.versions, v) {
		return false
	}
	writeJSON(w, http.StatusOK, "application/json", &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: v, APIResources: core.resourcesWith(v, verbs, false)})
	return true
}
