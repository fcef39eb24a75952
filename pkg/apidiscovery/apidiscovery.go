package apidiscovery

import (
	"net/http"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// Config is what discovery needs.
type Config struct {
	// CRDs is the source of the CRDs each workspace serves.
	CRDs *crdset.Set
	// ReservedGroups are served natively; CRDs claiming them are not listed.
	ReservedGroups []string
	// StaticSchemas are the OpenAPI v3 definitions CRD schemas refer to (ObjectMeta and friends).
	StaticSchemas map[string]*spec.Schema
	// StaticDefinitionsV2 are the same definitions for OpenAPI v2, for documents without the built-in ones.
	StaticDefinitionsV2 spec.Definitions
}

// Discovery answers discovery and OpenAPI requests.
type Discovery struct {
	config   Config
	reserved registry.Reserved
	v2       v2Cache
}

// New returns a Discovery.
func New(c Config) *Discovery {
	d := &Discovery{config: c, reserved: registry.NewReserved(c.ReservedGroups)}
	return d
}

// Wrap returns next wrapped so that a workspace's discovery and OpenAPI include its CRDs. It sits inside the
// request-info, authentication and authorization filters.
func (s *Discovery) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		cluster, ok := logicalcluster.From(req.Context())
		info, hasInfo := genericapirequest.RequestInfoFrom(req.Context())
		if !ok || !hasInfo || info.IsResourceRequest || cluster == logicalcluster.Wildcard {
			next.ServeHTTP(w, req)
			return
		}
		if !s.serveDiscovery(w, req, cluster, next) && !s.serveOpenAPI(w, req, cluster, next) && !s.serveOpenAPIV2(w, req, cluster, next) {
			next.ServeHTTP(w, req)
		}
	})
}

// ServeOnly answers a discovery or OpenAPI request with exactly the given CRDs, each offering verbs, and the
// static resources: /api, /apis (legacy or aggregated), /api/<version>, /apis/<group>[/<version>],
// /openapi/v3[/apis/<group>/<version>] and /openapi/v2, the OpenAPI documents describing the CRDs alone. It is what
// a virtual workspace serves besides its resources; anything else is a 404.
func (s *Discovery) ServeOnly(w http.ResponseWriter, req *http.Request, crds []*apiextensionsv1.CustomResourceDefinition, verbs []string,
	static []StaticResource) {
	path := strings.TrimSuffix(req.URL.Path, "/")
	// A bound core-group resource (services) is listed under /api, as a Kubernetes cluster lists it; like in a
	// workspace, it is not in the OpenAPI documents, which describe the /apis groups alone.
	all := s.groupsFrom(crds)
	discovered := withStatic(all, static)
	_, groups := splitCore(all)
	aggregated := strings.Contains(req.Header.Get("Accept"), "as=APIGroupDiscoveryList")
	switch {
	case path == "/api" || path == "/apis":
		s.writeGroupList(w, path == "/apis", discovered, verbs, aggregated)
		return
	case strings.HasPrefix(path, "/api/") && !strings.Contains(strings.TrimPrefix(path, "/api/"), "/"):
		if serveCoreVersion(w, strings.TrimPrefix(path, "/api/"), discovered, verbs) {
			return
		}
	case path == openAPIV3Prefix:
		index := openAPIIndex{Paths: map[string]openAPIPath{}}
		index.add(groups)
		writeJSON(w, http.StatusOK, "application/json", &index)
		return
	case path == openAPIV2Path:
		s.writeV2(w, req, "only", groups, func() (*v2Spec, error) {
			return mergeV2(&spec.Swagger{SwaggerProps: spec.SwaggerProps{Swagger: "2.0", Info: &spec.Info{InfoProps: spec.InfoProps{Title: "Gantry virtual workspace"}},
				Paths: &spec.Paths{Paths: map[string]spec.PathItem{}}, Definitions: s.staticDefinitionsV2()}}, groups)
		})
		return
	case strings.HasPrefix(path, openAPIV3Prefix+"/apis/"):
		if s.serveOpenAPIDocument(w, req, groups, strings.TrimPrefix(path, openAPIV3Prefix+"/apis/")) {
			return
		}
	case strings.HasPrefix(path, "/apis/"):
		if serveGroup(w, strings.Split(strings.TrimPrefix(path, "/apis/"), "/"), discovered, verbs) {
			return
		}
	}
	err := apierrors.NewNotFound(schema.GroupResource{}, "")
	err.ErrStatus.Message = "a virtual workspace serves only its resources, their discovery and their OpenAPI"
	s.fail(w, req, err)
}

func (s *Discovery) staticDefinitionsV2() spec.Definitions {
	out := make(spec.Definitions, len(s.config.StaticDefinitionsV2))
	for name, def := range s.config.StaticDefinitionsV2 {
		out[name] = def
	}
	return out
}

func (s *Discovery) fail(w http.ResponseWriter, req *http.Request, err error) {
	responsewriters.ErrorNegotiated(err, registry.Codecs, schema.GroupVersion{}, w, req)
}
