package apidiscovery

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// serveCore answers the discovery of the core group in a workspace that binds core-group resources (services, ...)
// and reports whether it did: /api in aggregated form and /api/<version> are the built-in answers with the bound
// resources added. Legacy /api (the versions alone) and other paths under /api are left to the built-in handler.
func (s *Discovery) serveCore(w http.ResponseWriter, req *http.Request, path string, core crdGroup, next http.Handler) bool {
	aggregated := strings.Contains(req.Header.Get("Accept"), "as=APIGroupDiscoveryList")
	version, isVersion := strings.CutPrefix(path, "/api/")
	switch {
	case path == "/api" && aggregated:
	case isVersion && !strings.Contains(version, "/") && slices.Contains(core.versions, version):
	default:
		return false
	}
	inner := plainRequest(req)
	if isVersion {
		inner.Header.Set("Accept", "application/json")
	} else {
		inner.Header.Set("Accept", aggregatedDiscoveryV2)
	}
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, inner)
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return true
	}
	if isVersion {
		var list metav1.APIResourceList
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
			s.fail(w, req, err)
			return true
		}
		list.APIResources = append(list.APIResources, core.resources(version)...)
		writeJSON(w, http.StatusOK, "application/json", &list)
		return true
	}
	var list apidiscoveryv2.APIGroupDiscoveryList
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		s.fail(w, req, err)
		return true
	}
	list.Items = mergeAggregated(list.Items, core.aggregated(resourceVerbs))
	writeJSON(w, http.StatusOK, rec.Header().Get("Content-Type"), &list)
	return true
}

// mergeAggregated adds the resources of group, version by version, to the entry of the same group in items (or
// adds group when items has none).
func mergeAggregated(items []apidiscoveryv2.APIGroupDiscovery, group apidiscoveryv2.APIGroupDiscovery) []apidiscoveryv2.APIGroupDiscovery {
	i := slices.IndexFunc(items, func(g apidiscoveryv2.APIGroupDiscovery) bool { return g.Name == group.Name })
	if i < 0 {
		return append(items, group)
	}
	for _, v := range group.Versions {
		j := slices.IndexFunc(items[i].Versions, func(have apidiscoveryv2.APIVersionDiscovery) bool { return have.Version == v.Version })
		if j < 0 {
			items[i].Versions = append(items[i].Versions, v)
			continue
		}
		items[i].Versions[j].Resources = append(items[i].Versions[j].Resources, v.Resources...)
	}
	return items
}
