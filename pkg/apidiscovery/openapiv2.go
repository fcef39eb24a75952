package apidiscovery

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
func (s *Discovery) serveOpenAPIV2(w http.ResponseWriter, req *http.Request, cluster logicalcluster.Name, next http.Handler) bool {
	if req.Method != http.MethodGet || strings.TrimSuffix(req.URL.Path, "/") != openAPIV2Path {
		return false
	}
	_, groups := splitCore(s.groupsOf(cluster)) // bound core-group resources are not in the OpenAPI yet
	if len(groups) == 0 {
		return false
	}
	s.writeV2(w, req, "workspace", groups, func() (*v2Spec, error) { return s.buildV2(req, groups, next) })
	return true
}

// writeV2 answers with the v2 document of groups (built by build unless cached under kind and the CRDs' hash), as
// JSON or protobuf.
func (s *Discovery) writeV2(w http.ResponseWriter, req *http.Request, kind string, groups []crdGroup, build func() (*v2Spec, error)) {
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, g := range groups {
		crds = append(crds, g.crds...)
	}
	key := kind + "/" + openAPIHash(crds)
	merged := s.v2.get(key)
	if merged == nil {
		var err error
		if merged, err = build(); err != nil {
			s.fail(w, req, err)
			return
		}
		s.v2.put(key, merged)
	}
	if strings.Contains(req.Header.Get("Accept"), "protobuf") {
		w.Header().Set("Content-Type", openAPIV2Protobuf)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(merged.protobuf)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(merged.json)
}

func (s *Discovery) buildV2(req *http.Request, groups []crdGroup, next http.Handler) (*v2Spec, error) {
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
	return mergeV2(static, groups)
}

// mergeV2 adds the CRDs of groups to a base document, in both encodings.
func mergeV2(static *spec.Swagger, groups []crdGroup) (*v2Spec, error) {
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
