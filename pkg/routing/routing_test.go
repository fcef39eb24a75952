package routing

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
)

type fakeResolver map[string]logicalcluster.Name

func (f fakeResolver) Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool) {
	if ref.Path != "" {
		n, ok := f[string(ref.Path)]
		return n, ok
	}
	if slices.Contains(slices.Collect(maps.Values(f)), ref.Name) {
		return ref.Name, true
	}
	return "", false
}

type seen struct {
	path    string
	cluster logicalcluster.Name
}

func serve(t *testing.T, target string) (*httptest.ResponseRecorder, *seen) {
	t.Helper()
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, metav1.SchemeGroupVersion)
	var got *seen
	inner := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		c, _ := logicalcluster.From(req.Context())
		got = &seen{path: req.URL.Path, cluster: c}
	})
	codecs := serializer.NewCodecFactory(scheme).WithoutConversion()
	h := WithClusterRouting(WithUnknownWorkspace(inner, codecs), fakeResolver{"root": "root", "root:a": "abc123"}, virtualWorkspaces, codecs)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec, got
}

// virtualWorkspaces knows the APIExport virtual workspace.
var virtualWorkspaces = virtualworkspace.NewRegistry(nil, nil, virtualworkspace.APIExport(crdset.NewSet()))

// export is what a test reads of a virtual workspace target.
type export struct {
	Path    logicalcluster.Path
	Cluster logicalcluster.Name
	Name    string
}

func TestRouting(t *testing.T) {
	cases := map[string]seen{
		"/clusters/root/api/v1/namespaces":       {"/api/v1/namespaces", "root"},
		"/clusters/root:a/api":                   {"/api", "abc123"},
		"/clusters/abc123/apis":                  {"/apis", "abc123"},
		"/clusters/root":                         {"/", "root"},
		"/clusters/*/api/v1/configmaps":          {"/api/v1/configmaps", "*"},
		"/livez":                                 {"/livez", ""},
		"/clusters/root/api/v1/namespaces/a%2Fb": {"/api/v1/namespaces/a/b", "root"},
	}
	for target, want := range cases {
		rec, got := serve(t, target)
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", target, rec.Body.String())
		require.NotNil(t, got, target)
		assert.Equal(t, want, *got, target)
	}
}

func TestRoutingRefusals(t *testing.T) {
	cases := map[string]int{
		"/clusters/root%2Fa/api":            http.StatusBadRequest,
		"/clusters/ROOT/api":                http.StatusBadRequest,
		"/clusters/root::a/api":             http.StatusBadRequest,
		"/clusters//api":                    http.StatusBadRequest,
		"/clusters/../api":                  http.StatusBadRequest,
		"/clusters/root:..:a/api":           http.StatusBadRequest,
		"/clusters/root:" + long() + "/api": http.StatusBadRequest,
		"/clusters/root:b/api":              http.StatusNotFound,
		"/clusters/zzz999/api":              http.StatusNotFound,
		"/clusters":                         http.StatusBadRequest,
		"/api/v1/namespaces":                http.StatusNotFound,
		"/apis":                             http.StatusNotFound,
	}
	for target, code := range cases {
		rec, got := serve(t, target)
		assert.Equal(t, code, rec.Code, target)
		assert.Nil(t, got, "%s must not reach the API handler", target)
		var status metav1.Status
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &status), "%s: %s", target, rec.Body.String())
		assert.Equal(t, "Status", status.Kind, target)
		assert.Equal(t, int32(code), status.Code, target)
		assert.NotEmpty(t, status.Message, target)
	}
}

func long() string {
	b := make([]byte, 200)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}

func TestVirtualWorkspaceRouting(t *testing.T) {
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, metav1.SchemeGroupVersion)
	codecs := serializer.NewCodecFactory(scheme).WithoutConversion()
	type vwSeen struct {
		path    string
		cluster logicalcluster.Name
		export  export
	}
	run := func(target string) (*httptest.ResponseRecorder, *vwSeen) {
		var got *vwSeen
		inner := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			c, _ := logicalcluster.From(req.Context())
			e, _ := virtualworkspace.TargetFrom(req.Context())
			got = &vwSeen{req.URL.Path, c, export{e.Path, e.Cluster, e.Name}}
		})
		h := WithClusterRouting(WithUnknownWorkspace(inner, codecs), fakeResolver{"root": "root", "root:a": "abc123"}, virtualWorkspaces, codecs)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		return rec, got
	}

	rec, got := run("/services/apiexport/root:a/widgets/clusters/*/apis/example.com/v1/widgets")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Equal(t, vwSeen{"/apis/example.com/v1/widgets", "*", export{Path: "root:a", Cluster: "abc123", Name: "widgets"}}, *got)

	rec, got = run("/services/apiexport/root:nowhere/widgets/clusters/abc123/apis")
	require.Equal(t, http.StatusOK, rec.Code, "a missing export workspace is left to the authorizer")
	assert.Equal(t, logicalcluster.Name(""), got.export.Cluster)

	for _, target := range []string{
		"/services/apiexport/root:a/widgets/apis",
		"/services/apiexport/root:a/widgets",
		"/services/apiexport/root%2Fa/widgets/clusters/*/apis",
		"/services/apiexport/root:a/Wid%2Fgets/clusters/*/apis",
		"/services/apiexport/root:a/widgets/clusters/../apis",
		"/services/apiexport/..%2F..%2Fclusters/widgets/clusters/root/api",
	} {
		rec, got := run(target)
		assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, rec.Code, target)
		assert.Nil(t, got, "%s must not reach the API handler", target)
	}
}
