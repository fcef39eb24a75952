package customresources

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/controller/openapi/builder"
	"k8s.io/kube-openapi/pkg/handler"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

const (
	openAPIV2Path = "/openapi/v2"
	// openAPIV2Protobuf is the content type of a protobuf answer: clients ask with the deprecated
	// "...spec.v2@v1.0+protobuf" form too, but '@' is not valid in a returned media type.
	openAPIV2Protobuf = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
	// maxCachedV2Specs bounds the merged v2 documents kept; each is the built-in spec plus a workspace's CRDs.
	maxCachedV2Specs = 32
)

// v2Spec is one merged OpenAPI v2 document in both encodings.
type v2Spec struct {
	json, protobuf []byte
}

// v2Cache keeps merged v2 documents by the identity of the CRDs in them: building one decodes and re-encodes the
// whole built-in spec.
type v2Cache struct {
	mu    sync.Mutex
	specs map[string]*v2Spec
}

func (c *v2Cache) get(key string) *v2Spec {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.specs[key]
}

func (c *v2Cache) put(key string, s *v2Spec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.specs == nil || len(c.specs) >= maxCachedV2Specs {
		c.specs = map[string]*v2Spec{} // simple and bounded; rebuilding is correct, only slower
	}
	c.specs[key] = s
}

// serveOpenAPIV2 answers /openapi/v2 for a workspace with CRDs: the built-in document plus the CRDs' definitions
// and paths, as JSON or protobuf, and reports whether it did.
func (s *Server) serveOpenAPIV2(w http.ResponseWriter, req *http.Request, cluster logicalcluster.Name, next http.Handler) bool {
	if req.Method != http.MethodGet || strings.TrimSuffix(req.URL.Path, "/") != openAPIV2Path {
		return false
	}
	groups := s.groupsOf(cluster)
	if len(groups) == 0 {
		return false
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, g := range groups {
		crds = append(crds, g.crds...)
	}
	key := openAPIHash(crds)
	merged := s.v2.get(key)
	if merged == nil {
		var err error
		if merged, err = s.buildV2(req, groups, next); err != nil {
			s.fail(w, req, err)
			return true
		}
		s.v2.put(key, merged)
	}
	if strings.Contains(req.Header.Get("Accept"), "protobuf") {
		w.Header().Set("Content-Type", openAPIV2Protobuf)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(merged.protobuf)
		return true
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(merged.json)
	return true
}

func (s *Server) buildV2(req *http.Request, groups []crdGroup, next http.Handler) (*v2Spec, error) {
	inner := plainRequest(req)
	inner.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, inner)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("built-in OpenAPI v2 answered %d", rec.Code)
	}
	static := &spec.Swagger{}
	if err := json.Unmarshal(rec.Body.Bytes(), static); err != nil {
		return nil, err
	}
	// The merge adds the CRDs' group-version-kinds to shared definitions such as DeleteOptions, writing into their
	// extensions map, which must therefore exist.
	for name, def := range static.Definitions {
		if def.Extensions == nil {
			def.Extensions = spec.Extensions{}
			static.Definitions[name] = def
		}
	}
	var crdSpecs []*spec.Swagger
	for _, g := range groups {
		for _, v := range g.versions {
			for _, crd := range g.crdsAt(v) {
				doc, err := builder.BuildOpenAPIV2(crd, v, builder.Options{V2: true})
				if err != nil {
					return nil, fmt.Errorf("OpenAPI v2 of %s: %w", crd.Name, err)
				}
				crdSpecs = append(crdSpecs, doc)
			}
		}
	}
	merged, err := builder.MergeSpecs(static, crdSpecs...)
	if err != nil {
		return nil, err
	}
	jsonBytes, err := json.Marshal(merged)
	if err != nil {
		return nil, err
	}
	protobuf, err := handler.ToProtoBinary(jsonBytes)
	if err != nil {
		return nil, err
	}
	return &v2Spec{json: jsonBytes, protobuf: protobuf}, nil
}
