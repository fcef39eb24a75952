package apidiscovery

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/apiserver/pkg/endpoints/discovery"

	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

const aggregatedDiscoveryV2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

var resourceVerbs = []string{"delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"}

// crdGroup is what one workspace serves of one API group through CRDs.
type crdGroup struct {
	name     string
	versions []string // by Kubernetes version priority, preferred first
	crds     []*apiextensionsv1.CustomResourceDefinition
	static   map[string][]metav1.APIResource // by version: resources served besides CRDs (StaticResource)
}

// groupsOf returns the CRD-served groups of a cluster, sorted by name.
func (s *Discovery) groupsOf(cluster logicalcluster.Name) []crdGroup {
	return s.groupsFrom(s.config.CRDs.InCluster(cluster))
}

// groupsFrom groups servable CRDs by API group, sorted by name.
func (s *Discovery) groupsFrom(crds []*apiextensionsv1.CustomResourceDefinition) []crdGroup {
	byName := map[string]*crdGroup{}
	for _, crd := range crds {
		if !crdset.Servable(crd) || s.reserved.Resource(crd.Spec.Group, crd.Spec.Names.Plural) {
			continue
		}
		g := byName[crd.Spec.Group]
		if g == nil {
			g = &crdGroup{name: crd.Spec.Group}
			byName[crd.Spec.Group] = g
		}
		g.crds = append(g.crds, crd)
		for _, v := range crd.Spec.Versions {
			if v.Served && !slices.Contains(g.versions, v.Name) {
				g.versions = append(g.versions, v.Name)
			}
		}
	}
	out := make([]crdGroup, 0, len(byName))
	for _, g := range byName {
		sort.Slice(g.versions, func(i, j int) bool {
			return version.CompareKubeAwareVersionStrings(g.versions[i], g.versions[j]) > 0
		})
		if len(g.versions) > 0 {
			out = append(out, *g)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (g crdGroup) apiGroup() metav1.APIGroup {
	out := metav1.APIGroup{Name: g.name}
	for _, v := range g.versions {
		out.Versions = append(out.Versions, metav1.GroupVersionForDiscovery{GroupVersion: g.name + "/" + v, Version: v})
	}
	out.PreferredVersion = out.Versions[0]
	return out
}

// resources lists what the group serves at version v, with subresources, for legacy discovery.
func (g crdGroup) resources(v string) []metav1.APIResource {
	return g.resourcesWith(v, resourceVerbs, true)
}

// resourcesWith lists what the group serves at version v: its CRDs' resources with the given verbs, and the scale
// subresource when withScale is set, then its static resources with their own.
func (g crdGroup) resourcesWith(v string, verbs []string, withScale bool) []metav1.APIResource {
	var out []metav1.APIResource
	for _, crd := range g.crds {
		if !apihelpers.HasServedCRDVersion(crd, v) {
			continue
		}
		names := crd.Status.AcceptedNames
		namespaced := crd.Spec.Scope == apiextensionsv1.NamespaceScoped
		out = append(out, metav1.APIResource{
			Name: names.Plural, SingularName: names.Singular, Namespaced: namespaced, Kind: names.Kind,
			Verbs: verbs, ShortNames: names.ShortNames, Categories: names.Categories,
			StorageVersionHash: storageVersionHash(crd),
		})
		sub, _ := apihelpers.GetSubresourcesForVersion(crd, v)
		if sub != nil && sub.Status != nil {
			out = append(out, metav1.APIResource{Name: names.Plural + "/status", Namespaced: namespaced, Kind: names.Kind,
				Verbs: []string{"get", "patch", "update"}})
		}
		if withScale && sub != nil && sub.Scale != nil {
			out = append(out, metav1.APIResource{Name: names.Plural + "/scale", Namespaced: namespaced, Kind: "Scale",
				Group: autoscalingv1.GroupName, Version: "v1", Verbs: []string{"get", "patch", "update"}})
		}
	}
	return append(out, g.static[v]...)
}

// storageVersionHash is what kube-apiserver's discovery reports for a CRD's resource, from the same upstream helper:
// a hash of the group, storage version and kind, which changes when the objects' stored form does, so that clients
// (storage migrators) notice. A bound resource's CRD is its export's schema, so its hash is the same in every
// workspace that binds it. Aggregated discovery (apidiscovery.k8s.io/v2) has no such field, as upstream.
func storageVersionHash(crd *apiextensionsv1.CustomResourceDefinition) string {
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			return discovery.StorageVersionHash(crd.Spec.Group, v.Name, crd.Spec.Names.Kind)
		}
	}
	return ""
}

// aggregated is the group's entry in aggregated discovery, each resource with verbs.
func (g crdGroup) aggregated(verbs []string) apidiscoveryv2.APIGroupDiscovery {
	out := apidiscoveryv2.APIGroupDiscovery{ObjectMeta: metav1.ObjectMeta{Name: g.name}}
	for _, v := range g.versions {
		vd := apidiscoveryv2.APIVersionDiscovery{Version: v, Freshness: apidiscoveryv2.DiscoveryFreshnessCurrent}
		for _, crd := range g.crds {
			if !apihelpers.HasServedCRDVersion(crd, v) {
				continue
			}
			names := crd.Status.AcceptedNames
			scope := apidiscoveryv2.ScopeCluster
			if crd.Spec.Scope == apiextensionsv1.NamespaceScoped {
				scope = apidiscoveryv2.ScopeNamespace
			}
			rd := apidiscoveryv2.APIResourceDiscovery{
				Resource: names.Plural, SingularResource: names.Singular, Scope: scope, Verbs: verbs,
				ResponseKind: &metav1.GroupVersionKind{Group: g.name, Version: v, Kind: names.Kind},
				ShortNames:   names.ShortNames, Categories: names.Categories,
			}
			sub, _ := apihelpers.GetSubresourcesForVersion(crd, v)
			if sub != nil && sub.Status != nil {
				rd.Subresources = append(rd.Subresources, apidiscoveryv2.APISubresourceDiscovery{Subresource: "status",
					ResponseKind: rd.ResponseKind, Verbs: []string{"get", "patch", "update"}})
			}
			if sub != nil && sub.Scale != nil {
				rd.Subresources = append(rd.Subresources, apidiscoveryv2.APISubresourceDiscovery{Subresource: "scale",
					ResponseKind: &metav1.GroupVersionKind{Group: autoscalingv1.GroupName, Version: "v1", Kind: "Scale"},
					Verbs:        []string{"get", "patch", "update"}})
			}
			vd.Resources = append(vd.Resources, rd)
		}
		vd.Resources = append(vd.Resources, g.staticAggregated(v)...)
		out.Versions = append(out.Versions, vd)
	}
	return out
}

// serveDiscovery answers discovery requests that involve the workspace's CRDs and reports whether it did.
// /apis is the built-in answer with the workspace's CRD groups added; /apis/<crd group>[/<version>] is answered
// here alone; /api (aggregated) and /api/<version> are the built-in answers with the core-group resources the
// workspace binds added.
func (s *Discovery) serveDiscovery(w http.ResponseWriter, req *http.Request, cluster logicalcluster.Name, next http.Handler) bool {
	if req.Method != http.MethodGet {
		return false
	}
	path := strings.TrimSuffix(req.URL.Path, "/")
	core, groups := splitCore(s.groupsOf(cluster))
	if core != nil && (path == "/api" || strings.HasPrefix(path, "/api/")) {
		return s.serveCore(w, req, path, *core, next)
	}
	if path != "/apis" && !strings.HasPrefix(path, "/apis/") {
		return false
	}
	if len(groups) == 0 {
		return false
	}
	if path == "/apis" {
		s.mergeGroupList(w, req, groups, next)
		return true
	}
	return serveGroup(w, strings.Split(strings.TrimPrefix(path, "/apis/"), "/"), groups, nil)
}

// serveGroup answers /apis/<group> and /apis/<group>/<version> (parts) when groups serve it, and reports whether it
// did. Resources offer verbs, or every verb and the scale subresource when verbs is nil.
func serveGroup(w http.ResponseWriter, parts []string, groups []crdGroup, verbs []string) bool {
	if len(parts) > 2 {
		return false
	}
	for _, g := range groups {
		if g.name != parts[0] {
			continue
		}
		if len(parts) == 1 {
			group := g.apiGroup()
			writeJSON(w, http.StatusOK, "application/json", &metav1.APIGroup{TypeMeta: metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"},
				Name: group.Name, Versions: group.Versions, PreferredVersion: group.PreferredVersion})
			return true
		}
		if !slices.Contains(g.versions, parts[1]) {
			return false
		}
		resources := g.resources(parts[1])
		if verbs != nil {
			resources = g.resourcesWith(parts[1], verbs, false)
		}
		writeJSON(w, http.StatusOK, "application/json", &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
			GroupVersion: g.name + "/" + parts[1], APIResources: resources})
		return true
	}
	return false
}

// writeGroupList answers /api (core, false) or /apis (true) with groups alone, legacy or aggregated: /api with
// the core group (named ""), if any, /apis with the others.
func (s *Discovery) writeGroupList(w http.ResponseWriter, apis bool, groups []crdGroup, verbs []string, aggregated bool) {
	core, others := splitCore(groups)
	if !apis {
		groups = nil
		if core != nil {
			groups = []crdGroup{*core}
		}
	} else {
		groups = others
	}
	if aggregated {
		list := &apidiscoveryv2.APIGroupDiscoveryList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupDiscoveryList", APIVersion: "apidiscovery.k8s.io/v2"},
			Items: []apidiscoveryv2.APIGroupDiscovery{}}
		for _, g := range groups {
			list.Items = append(list.Items, g.aggregated(verbs))
		}
		writeJSON(w, http.StatusOK, aggregatedDiscoveryV2, list)
		return
	}
	if !apis {
		versions := []string{}
		if core != nil {
			versions = core.versions
		}
		writeJSON(w, http.StatusOK, "application/json", &metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: versions})
		return
	}
	list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: []metav1.APIGroup{}}
	for _, g := range groups {
		list.Groups = append(list.Groups, g.apiGroup())
	}
	writeJSON(w, http.StatusOK, "application/json", list)
}

// mergeGroupList asks the built-in handler for /apis, in the form the client wants (aggregated or not), and adds
// the CRD groups.
func (s *Discovery) mergeGroupList(w http.ResponseWriter, req *http.Request, groups []crdGroup, next http.Handler) {
	inner := plainRequest(req)
	aggregated := strings.Contains(req.Header.Get("Accept"), "as=APIGroupDiscoveryList")
	if aggregated {
		inner.Header.Set("Accept", aggregatedDiscoveryV2)
	} else {
		inner.Header.Set("Accept", "application/json")
	}
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, inner)
	contentType := rec.Header().Get("Content-Type")
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return
	}
	if strings.Contains(contentType, "as=APIGroupDiscoveryList") {
		var list apidiscoveryv2.APIGroupDiscoveryList
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
			s.fail(w, req, err)
			return
		}
		for _, g := range groups {
			list.Items = append(list.Items, g.aggregated(resourceVerbs))
		}
		writeJSON(w, http.StatusOK, contentType, &list)
		return
	}
	var list metav1.APIGroupList
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		s.fail(w, req, err)
		return
	}
	for _, g := range groups {
		list.Groups = append(list.Groups, g.apiGroup())
	}
	writeJSON(w, http.StatusOK, "application/json", &list)
}

func writeJSON(w http.ResponseWriter, code int, contentType string, obj interface{}) {
	body, err := json.Marshal(obj)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// plainRequest returns a copy of req for the built-in handler whose answer is to be merged: uncompressed, and
// without cache validators. Clients cache the built-in answer under its ETag and Last-Modified; a merged answer
// changes with the workspace's CRDs, so a 304 for the built-in part would leave them with a stale copy. Merged
// answers carry no validators of their own. The response compression filter still compresses the merged answer.
func plainRequest(req *http.Request) *http.Request {
	inner := req.Clone(req.Context())
	for _, h := range []string{"If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range", "Accept-Encoding"} {
		inner.Header.Del(h)
	}
	return inner
}
