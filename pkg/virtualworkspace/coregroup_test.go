package virtualworkspace

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/apidiscovery"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// servicesCRD is the core group's services as `kubectl gantry import-apis` offers them: group "", version v1,
// namespaced, with a status subresource.
func servicesCRD() *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "services.core", UID: "kubernetes-identity",
			Annotations: map[string]string{crdset.BoundAnnotation: logicalcluster.Key("compute", "kubernetes")}},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: "", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "services", Singular: "service", Kind: "Service"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}}}}},
		Status: apiextensionsv1.CustomResourceDefinitionStatus{
			AcceptedNames: apiextensionsv1.CustomResourceDefinitionNames{Plural: "services", Singular: "service", Kind: "Service"},
			Conditions: []apiextensionsv1.CustomResourceDefinitionCondition{
				{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue},
				{Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionTrue}}},
	}
}

// coreGroupFixture is the Syncer definition over the export "kubernetes" of "compute" offering services, bound in
// "team", and the SyncTargets "gpu" (supporting it) and "cpu" (supporting nothing) of "compute"; and its crdset.
func coreGroupFixture() (*Definition, *crdset.Set) {
	crds := crdset.NewSet()
	services := servicesCRD()
	crds.SetExport("compute", "kubernetes", []*apiextensionsv1.CustomResourceDefinition{services})
	crds.SetBound("team", []*apiextensionsv1.CustomResourceDefinition{services})
	targets := syncTargets{
		logicalcluster.Key("compute", "gpu"): {Spec: computev1alpha1.SyncTargetSpec{SupportedAPIExports: []computev1alpha1.ExportReference{
			{Path: "root:compute", Export: "kubernetes"}}, BuiltinResources: []string{"configmaps"}}},
		logicalcluster.Key("compute", "cpu"): {},
	}
	return Syncer(crds, targets, paths{"root:compute": "compute"}), crds
}

func TestAPIPrefixOf(t *testing.T) {
	assert.Equal(t, "api", apiPrefixOf(servicesCRD()), "the core group is served under /api")
	widgets := servicesCRD()
	widgets.Spec.Group = "example.com"
	assert.Equal(t, "apis", apiPrefixOf(widgets))
}

// A supported core-group resource is allowed in the syncer's view like any served CRD: reading, and writing the
// object and its status; never created or deleted, and only in the view of a target that supports it.
func TestSyncerCoreGroupAuthorizer(t *testing.T) {
	d, _ := coreGroupFixture()
	authz := NewRegistry(nil, nil, d).Authorizer(authorizer.AuthorizerFunc(func(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
		return authorizer.DecisionAllow, "", nil
	}), authorizer.AuthorizerFunc(syncers{"syncer": true}.Authorize))
	syncer := &user.DefaultInfo{Name: "syncer"}
	at := func(name string) context.Context {
		return WithTarget(logicalcluster.WithCluster(context.Background(), logicalcluster.Wildcard),
			Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: name})
	}
	services := func(verb, sub string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: syncer, Verb: verb, APIVersion: "v1", Resource: "services", Subresource: sub, Namespace: "default",
			ResourceRequest: true}
	}
	for _, allowed := range []authorizer.AttributesRecord{services("list", ""), services("watch", ""), services("get", ""),
		services("update", ""), services("patch", ""), services("update", "status"), services("patch", "status")} {
		decision, reason, err := authz.Authorize(at("gpu"), allowed)
		require.NoError(t, err)
		assert.Equal(t, authorizer.DecisionAllow, decision, "%s %s: %s", allowed.Verb, allowed.Subresource, reason)
	}
	for name, refused := range map[string]authorizer.AttributesRecord{
		"create": services("create", ""), "delete": services("delete", ""), "deletecollection": services("deletecollection", ""),
		"proxy": services("get", "proxy"),
	} {
		decision, _, _ := authz.Authorize(at("gpu"), refused)
		assert.Equal(t, authorizer.DecisionDeny, decision, name)
	}
	decision, reason, _ := authz.Authorize(at("cpu"), services("list", ""))
	assert.Equal(t, authorizer.DecisionDeny, decision, "cpu is not the syncer's target")
	assert.Equal(t, d.accessDenied(), reason)
}

// The syncer's view lists a supported core-group resource under /api, legacy and aggregated, next to its built-in
// resources, with the view's verbs and its status subresource; /apis and the OpenAPI index do not name the core group.
func TestSyncerCoreGroupDiscovery(t *testing.T) {
	d, crds := coreGroupFixture()
	r := NewRegistry(nil, apidiscovery.New(apidiscovery.Config{CRDs: crds}), d)
	get := func(target, path string, aggregated bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if aggregated {
			req.Header.Set("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
		}
		ctx := WithTarget(logicalcluster.WithCluster(req.Context(), logicalcluster.Wildcard),
			Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: target})
		ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{Path: path, Verb: "get"})
		rec := httptest.NewRecorder()
		r.Wrap(http.NotFoundHandler()).ServeHTTP(rec, req.WithContext(ctx))
		return rec
	}

	rec := get("gpu", "/api", false)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var versions metav1.APIVersions
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &versions))
	assert.Equal(t, []string{"v1"}, versions.Versions)

	rec = get("gpu", "/api/v1", false)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var list metav1.APIResourceList
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	byName := map[string]metav1.APIResource{}
	for _, res := range list.APIResources {
		byName[res.Name] = res
	}
	require.Contains(t, byName, "services")
	assert.Equal(t, metav1.Verbs(d.Verbs), byName["services"].Verbs)
	assert.True(t, byName["services"].Namespaced)
	assert.Contains(t, byName, "services/status")

	rec = get("gpu", "/api", true)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var aggregated apidiscoveryv2.APIGroupDiscoveryList
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &aggregated))
	require.Len(t, aggregated.Items, 1)
	require.Len(t, aggregated.Items[0].Versions, 1)
	var names []string
	for _, res := range aggregated.Items[0].Versions[0].Resources {
		names = append(names, res.Resource)
	}
	assert.Contains(t, names, "services")

	rec = get("gpu", "/apis", false)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var groups metav1.APIGroupList
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &groups))
	for _, g := range groups.Groups {
		assert.NotEmpty(t, g.Name, "the core group is not listed under /apis")
	}
	rec = get("gpu", "/openapi/v3", false)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.NotContains(t, rec.Body.String(), `"api/v1"`, "core-group resources are not in the OpenAPI, as in a workspace")

	rec = get("cpu", "/api/v1", false)
	assert.Equal(t, http.StatusNotFound, rec.Code, "cpu supports no export: nothing under /api/v1")
}

// A core-group resource is reached under /api alone: the same resource name under /apis is not found.
func TestSyncerCoreGroupOnlyUnderAPI(t *testing.T) {
	d, _ := coreGroupFixture()
	req := httptest.NewRequest(http.MethodGet, "/apis/core/v1/services", nil)
	ctx := WithTarget(logicalcluster.WithCluster(req.Context(), logicalcluster.Wildcard), Target{Definition: d, Cluster: "compute", Name: "gpu"})
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{IsResourceRequest: true, Verb: "list", APIPrefix: "apis",
		APIGroup: "", APIVersion: "v1", Resource: "services"})
	rec := httptest.NewRecorder()
	NewRegistry(nil, nil, d).Wrap(http.NotFoundHandler()).ServeHTTP(rec, req.WithContext(ctx))
	require.Equal(t, http.StatusNotFound, rec.Code)
	assert.Contains(t, rec.Body.String(), `"kind":"Status"`)
}

// The view lists no CRD of a core-group resource: no cluster can install one, the cluster serves it natively.
func TestServedCRDsLeaveOutTheCoreGroup(t *testing.T) {
	d, _ := coreGroupFixture()
	gpu := Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: "gpu"}
	require.Len(t, d.Resources(gpu), 1, "services are served")
	assert.Empty(t, d.ServedCRDs(gpu, logicalcluster.Wildcard))
	assert.Empty(t, d.ServedCRDs(gpu, "team"))
}
