package apidiscovery

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/controller/openapi/builder"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

const openAPIV3Prefix = "/openapi/v3"

// openAPIPath is one entry of the /openapi/v3 index.
type openAPIPath struct {
	ServerRelativeURL string `json:"serverRelativeURL"`
}

// serveOpenAPI answers /openapi/v3 requests that involve the workspace's CRDs and reports whether it did: the
// index gets an entry per CRD group version, and each such group version's document is built from the CRDs.
func (s *Discovery) serveOpenAPI(w http.ResponseWriter, req *http.Request, cluster logicalcluster.Name, next http.Handler) bool {
	if req.Method != http.MethodGet {
		return false
	}
	path := strings.TrimSuffix(req.URL.Path, "/")
	if path != openAPIV3Prefix && !strings.HasPrefix(path, openAPIV3Prefix+"/apis/") {
		return false
	}
	_, groups := splitCore(s.groupsOf(cluster)) // bound core-group resources are not in the OpenAPI yet
	if len(groups) == 0 {
		return false
	}
	if path == openAPIV3Prefix {
		s.mergeOpenAPIIndex(w, req, groups, next)
		return true
	}
	return s.serveOpenAPIDocument(w, req, groups, strings.TrimPrefix(path, openAPIV3Prefix+"/apis/"))
}

// serveOpenAPIDocument answers the OpenAPI v3 document of "<group>/<version>" when groups serve it, and reports
// whether it did.
func (s *Discovery) serveOpenAPIDocument(w http.ResponseWriter, req *http.Request, groups []crdGroup, gv string) bool {
	group, version, ok := strings.Cut(gv, "/")
	if !ok {
		return false
	}
	for _, g := range groups {
		if g.name != group || !slices.Contains(g.versions, version) {
			continue
		}
		doc, err := s.openAPIDocument(g, version)
		if err != nil {
			s.fail(w, req, err)
			return true
		}
		writeJSON(w, http.StatusOK, "application/json", doc)
		return true
	}
	return false
}

// crdsAt returns the group's CRDs that serve version.
func (g crdGroup) crdsAt(version string) []*apiextensionsv1.CustomResourceDefinition {
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, crd := range g.crds {
		if apihelpers.HasServedCRDVersion(crd, version) {
			out = append(out, crd)
		}
	}
	return out
}

// openAPIHash changes whenever a CRD behind a group version document changes, so clients refetch it.
func openAPIHash(crds []*apiextensionsv1.CustomResourceDefinition) string {
	h := sha256.New()
	for _, crd := range crds {
		fmt.Fprintf(h, "%s/%d;", crd.UID, crd.Generation)
	}
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil))[:32])
}

// openAPIDocument builds the OpenAPI v3 document of a CRD group version, with the apimachinery definitions its
// schemas refer to.
func (s *Discovery) openAPIDocument(g crdGroup, version string) (*spec3.OpenAPI, error) {
	var docs []*spec3.OpenAPI
	for _, crd := range g.crdsAt(version) {
		doc, err := builder.BuildOpenAPIV3(crd, version, builder.Options{V2: false})
		if err != nil {
			return nil, fmt.Errorf("OpenAPI of %s: %w", crd.Name, err)
		}
		withPatchMetadata(doc, crd, version)
		docs = append(docs, doc)
	}
	merged, err := builder.MergeSpecsV3(docs...)
	if err != nil {
		return nil, err
	}
	if merged.Components == nil {
		merged.Components = &spec3.Components{}
	}
	if merged.Components.Schemas == nil {
		merged.Components.Schemas = map[string]*spec.Schema{}
	}
	for name, schema := range s.config.StaticSchemas {
		if _, ok := merged.Components.Schemas[name]; !ok {
			merged.Components.Schemas[name] = schema
		}
	}
	return merged, nil
}

// mergeOpenAPIIndex adds the workspace's CRD group versions to the built-in /openapi/v3 index.
func (s *Discovery) mergeOpenAPIIndex(w http.ResponseWriter, req *http.Request, groups []crdGroup, next http.Handler) {
	inner := plainRequest(req)
	inner.Header.Set("Accept", "application/json")
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, inner)
	if rec.Code != http.StatusOK {
		copyResponse(w, rec)
		return
	}
	var index openAPIIndex
	if err := json.Unmarshal(rec.Body.Bytes(), &index); err != nil {
		s.fail(w, req, err)
		return
	}
	if index.Paths == nil {
		index.Paths = map[string]openAPIPath{}
	}
	index.add(groups)
	writeJSON(w, http.StatusOK, "application/json", &index)
}

// openAPIIndex is the /openapi/v3 index.
type openAPIIndex struct {
	Paths map[string]openAPIPath `json:"paths"`
}

// add lists the group versions of groups, each with a hash of its CRDs so that clients refetch on change.
func (x *openAPIIndex) add(groups []crdGroup) {
	for _, g := range groups {
		for _, v := range g.versions {
			key := "apis/" + g.name + "/" + v
			x.Paths[key] = openAPIPath{ServerRelativeURL: openAPIV3Prefix + "/" + key + "?hash=" + openAPIHash(g.crdsAt(v))}
		}
	}
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
