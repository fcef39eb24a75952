package apidiscovery

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestServeOnlyStatic(t *testing.T) {
	d := New(Config{})
	widgets := &apiextensionsv1.CustomResourceDefinition{
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true}}},
		Status: apiextensionsv1.CustomResourceDefinitionStatus{
			AcceptedNames: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Kind: "Widget"},
			Conditions: []apiextensionsv1.CustomResourceDefinitionCondition{
				{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue},
				{Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionTrue}}},
	}
	static := []StaticResource{
		{GroupVersion: schema.GroupVersion{Version: "v1"}, Resource: metav1.APIResource{Name: "configmaps", Kind: "ConfigMap", Namespaced: true, Verbs: []string{"get"}}},
		{GroupVersion: schema.GroupVersion{Group: "apiextensions.k8s.io", Version: "v1"}, Resource: metav1.APIResource{Name: "customresourcedefinitions",
			Kind: "CustomResourceDefinition", Verbs: []string{"get", "list"}}},
	}
	get := func(path string, aggregated bool) string {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if aggregated {
			req.Header.Set("Accept", aggregatedDiscoveryV2)
		}
		rec := httptest.NewRecorder()
		d.ServeOnly(rec, req, []*apiextensionsv1.CustomResourceDefinition{widgets}, []string{"get", "list"}, static)
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", path, rec.Body.String())
		return rec.Body.String()
	}
	var versions metav1.APIVersions
	require.NoError(t, json.Unmarshal([]byte(get("/api", false)), &versions))
	assert.Equal(t, []string{"v1"}, versions.Versions)
	var core metav1.APIResourceList
	require.NoError(t, json.Unmarshal([]byte(get("/api/v1", false)), &core))
	require.Len(t, core.APIResources, 1)
	assert.Equal(t, "configmaps", core.APIResources[0].Name)

	var groups metav1.APIGroupList
	require.NoError(t, json.Unmarshal([]byte(get("/apis", false)), &groups))
	require.Len(t, groups.Groups, 2, "the CRDs' group and apiextensions.k8s.io, not the core group")
	assert.Equal(t, "apiextensions.k8s.io", groups.Groups[0].Name)
	assert.Equal(t, "example.com", groups.Groups[1].Name)
	assert.Contains(t, get("/apis/apiextensions.k8s.io/v1", false), `"name":"customresourcedefinitions"`)
	assert.Contains(t, get("/apis/example.com/v1", false), `"name":"widgets"`)

	var aggregated apidiscoveryv2.APIGroupDiscoveryList
	require.NoError(t, json.Unmarshal([]byte(get("/api", true)), &aggregated))
	require.Len(t, aggregated.Items, 1)
	assert.Equal(t, "configmaps", aggregated.Items[0].Versions[0].Resources[0].Resource)
	require.NoError(t, json.Unmarshal([]byte(get("/apis", true)), &aggregated))
	assert.Len(t, aggregated.Items, 2)

	req := httptest.NewRequest(http.MethodGet, "/api/v2", nil)
	rec := httptest.NewRecorder()
	d.ServeOnly(rec, req, nil, nil, static)
	assert.Equal(t, http.StatusNotFound, rec.Code)
	rec = httptest.NewRecorder()
	d.ServeOnly(rec, httptest.NewRequest(http.MethodGet, "/api", nil), nil, nil, nil)
	assert.JSONEq(t, `{"kind":"APIVersions","versions":[],"serverAddressByClientCIDRs":null}`, rec.Body.String(), "no static core resources")
}

// A core-group CRD (a bound Service) is listed under /api and /api/v1 with the given verbs and its status, next to
// the static core resources; not under /apis, nor in the OpenAPI index.
func TestServeOnlyCoreGroupCRD(t *testing.T) {
	d := New(Config{})
	services := &apiextensionsv1.CustomResourceDefinition{
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: "", Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}}}}},
		Status: apiextensionsv1.CustomResourceDefinitionStatus{
			AcceptedNames: apiextensionsv1.CustomResourceDefinitionNames{Plural: "services", Kind: "Service"},
			Conditions:    []apiextensionsv1.CustomResourceDefinitionCondition{{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue}}},
	}
	static := []StaticResource{{GroupVersion: schema.GroupVersion{Version: "v1"},
		Resource: metav1.APIResource{Name: "configmaps", Kind: "ConfigMap", Namespaced: true, Verbs: []string{"get"}}}}
	get := func(path string, aggregated bool) string {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if aggregated {
			req.Header.Set("Accept", aggregatedDiscoveryV2)
		}
		rec := httptest.NewRecorder()
		d.ServeOnly(rec, req, []*apiextensionsv1.CustomResourceDefinition{services}, []string{"get", "list"}, static)
		require.Equal(t, http.StatusOK, rec.Code, "%s: %s", path, rec.Body.String())
		return rec.Body.String()
	}
	var core metav1.APIResourceList
	require.NoError(t, json.Unmarshal([]byte(get("/api/v1", false)), &core))
	var names []string
	for _, r := range core.APIResources {
		names = append(names, r.Name)
		if r.Name == "services" {
			assert.Equal(t, metav1.Verbs{"get", "list"}, r.Verbs)
		}
	}
	assert.Equal(t, []string{"services", "services/status", "configmaps"}, names)

	var aggregated apidiscoveryv2.APIGroupDiscoveryList
	require.NoError(t, json.Unmarshal([]byte(get("/api", true)), &aggregated))
	require.Len(t, aggregated.Items, 1)
	require.Len(t, aggregated.Items[0].Versions[0].Resources, 2)
	assert.Equal(t, "services", aggregated.Items[0].Versions[0].Resources[0].Resource)
	assert.Equal(t, "status", aggregated.Items[0].Versions[0].Resources[0].Subresources[0].Subresource)

	var groups metav1.APIGroupList
	require.NoError(t, json.Unmarshal([]byte(get("/apis", false)), &groups))
	assert.Empty(t, groups.Groups, "the core group is not under /apis")
	assert.NotContains(t, get("/openapi/v3", false), "api/v1", "core-group resources are not in the OpenAPI")
}
