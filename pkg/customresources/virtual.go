package customresources

import (
	"net/http"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
)

// ExportedResources are the CRDs that stand for an APIExport's resources, for its virtual workspace.
type ExportedResources interface {
	// ExportCRDs returns the CRDs of the export's current schemas under its identity, or none.
	ExportCRDs(cluster logicalcluster.Name, name string) []*apiextensionsv1.CustomResourceDefinition
}

// virtualVerbs are what the virtual workspace serves (the authorizer enforces them).
var virtualVerbs = []string{"get", "list", "watch", "update", "patch"}

// serveVirtual serves a request to an export's virtual workspace: discovery of the exported resources, and the
// exported resources themselves from the storage all consumers share, in one consumer workspace that binds the
// export or in all of them ('*'). Anything else is a 404.
func (s *Server) serveVirtual(w http.ResponseWriter, req *http.Request, e virtualworkspace.Export, cluster logicalcluster.Name, info *genericapirequest.RequestInfo) {
	var crds []*apiextensionsv1.CustomResourceDefinition
	if s.Exported != nil && e.Cluster != "" {
		crds = s.Exported.ExportCRDs(e.Cluster, e.Name)
	}
	if !info.IsResourceRequest {
		s.serveVirtualDiscovery(w, req, crds)
		return
	}
	notFound := apierrors.NewNotFound(schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}, info.Name)
	var crd *apiextensionsv1.CustomResourceDefinition
	for _, c := range crds {
		if info.APIPrefix == "apis" && c.Spec.Group == info.APIGroup && c.Status.AcceptedNames.Plural == info.Resource {
			crd = c
		}
	}
	if crd == nil {
		s.fail(w, req, notFound)
		return
	}
	if cluster != logicalcluster.Wildcard {
		// One workspace: only one that binds this very export.
		bound := s.crdFor(cluster, info.APIGroup, info.Resource)
		if bound == nil || bound.Annotations[BoundAnnotation] != e.Key() {
			s.fail(w, req, notFound)
			return
		}
	}
	s.serveCRD(w, req, info, crd, func() { s.fail(w, req, notFound) })
}

// serveVirtualDiscovery answers /api, /apis, /apis/<group> and /apis/<group>/<version> with the exported
// resources alone, in legacy form (clients fall back to it when they asked for aggregated discovery), and
// /openapi/v3 with their schemas (so kubectl explain works there).
func (s *Server) serveVirtualDiscovery(w http.ResponseWriter, req *http.Request, crds []*apiextensionsv1.CustomResourceDefinition) {
	path := strings.TrimSuffix(req.URL.Path, "/")
	groups := s.groupsFrom(crds)
	switch {
	case path == "/api":
		writeJSON(w, http.StatusOK, "application/json", &metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{}})
		return
	case path == "/apis":
		list := &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"}, Groups: []metav1.APIGroup{}}
		for _, g := range groups {
			list.Groups = append(list.Groups, g.apiGroup())
		}
		writeJSON(w, http.StatusOK, "application/json", list)
		return
	case path == openAPIV3Prefix:
		index := openAPIIndex{Paths: map[string]openAPIPath{}}
		index.add(groups)
		writeJSON(w, http.StatusOK, "application/json", &index)
		return
	case strings.HasPrefix(path, openAPIV3Prefix+"/apis/"):
		if s.serveOpenAPIDocument(w, req, groups, strings.TrimPrefix(path, openAPIV3Prefix+"/apis/")) {
			return
		}
	case strings.HasPrefix(path, "/apis/"):
		parts := strings.Split(strings.TrimPrefix(path, "/apis/"), "/")
		for _, g := range groups {
			if g.name != parts[0] || len(parts) > 2 {
				continue
			}
			if len(parts) == 1 {
				group := g.apiGroup()
				group.TypeMeta = metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}
				writeJSON(w, http.StatusOK, "application/json", &group)
				return
			}
			if contains(g.versions, parts[1]) {
				writeJSON(w, http.StatusOK, "application/json", &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
					GroupVersion: g.name + "/" + parts[1], APIResources: g.resourcesWith(parts[1], virtualVerbs, false)})
				return
			}
		}
	}
	err := apierrors.NewNotFound(schema.GroupResource{}, "")
	err.ErrStatus.Message = "the virtual workspace serves only the discovery and OpenAPI v3 of the exported resources"
	s.fail(w, req, err)
}
