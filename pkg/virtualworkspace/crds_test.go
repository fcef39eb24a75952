package virtualworkspace

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func TestServedCRDs(t *testing.T) {
	d := syncerFixture()
	gpu := Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: "gpu"}
	crds := d.ServedCRDs(gpu, logicalcluster.Wildcard)
	require.Len(t, crds, 1)
	crd := crds[0]
	assert.Equal(t, metav1.ObjectMeta{Name: "widgets.example.com"}, crd.ObjectMeta, "the name alone: no UID (the export's identity), no annotations")
	assert.Equal(t, "example.com", crd.Spec.Group)
	assert.Equal(t, "widgets", crd.Spec.Names.Plural)
	assert.Empty(t, crd.Status, "no status")
	assert.Equal(t, "identity", string(d.Resources(gpu)[0].UID), "the served CRD itself is untouched")

	assert.Len(t, d.ServedCRDs(gpu, "team"), 1, "team binds the export")
	assert.Empty(t, d.ServedCRDs(gpu, "other"), "other binds nothing")
	assert.Empty(t, d.ServedCRDs(Target{Definition: d, Cluster: "compute", Name: "cpu"}, logicalcluster.Wildcard), "cpu supports nothing")
	assert.Empty(t, d.ServedCRDs(Target{Definition: d, Name: "gpu"}, logicalcluster.Wildcard), "no workspace")
}

// serveCRDRequest serves one request for CRDResource through the registry's handler.
func serveCRDRequest(t *testing.T, d *Definition, target Target, cluster logicalcluster.Name, verb, name string) *httptest.ResponseRecorder {
	path := "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
	if name != "" {
		path += "/" + name
	}
	req := httptest.NewRequest(http.MethodGet, path, nil)
	ctx := WithTarget(logicalcluster.WithCluster(req.Context(), cluster), target)
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{IsResourceRequest: true, Verb: verb, APIPrefix: "apis",
		APIGroup: "apiextensions.k8s.io", APIVersion: "v1", Resource: "customresourcedefinitions", Name: name, Path: path})
	rec := httptest.NewRecorder()
	NewRegistry(nil, nil, d).Wrap(http.NotFoundHandler()).ServeHTTP(rec, req.WithContext(ctx))
	return rec
}

func TestServeCRDs(t *testing.T) {
	d := syncerFixture()
	gpu := Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: "gpu"}

	rec := serveCRDRequest(t, d, gpu, logicalcluster.Wildcard, "list", "")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	var list apiextensionsv1.CustomResourceDefinitionList
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &list))
	assert.Equal(t, "CustomResourceDefinitionList", list.Kind)
	assert.Equal(t, "apiextensions.k8s.io/v1", list.APIVersion)
	require.Len(t, list.Items, 1)
	assert.Equal(t, "widgets.example.com", list.Items[0].Name)
	assert.NotContains(t, rec.Body.String(), "identity")
	assert.Empty(t, list.Items[0].Status, "an empty status (the typed CRD always carries one)")

	rec = serveCRDRequest(t, d, gpu, "team", "get", "widgets.example.com")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), `"kind":"CustomResourceDefinition"`)

	for name, c := range map[string]struct {
		target        Target
		cluster       logicalcluster.Name
		verb, crdName string
		code          int
	}{
		"a CRD not served":               {gpu, logicalcluster.Wildcard, "get", "gadgets.example.com", http.StatusNotFound},
		"a workspace not binding it":     {gpu, "other", "get", "widgets.example.com", http.StatusNotFound},
		"a target supporting nothing":    {Target{Definition: d, Cluster: "compute", Name: "cpu"}, logicalcluster.Wildcard, "get", "widgets.example.com", http.StatusNotFound},
		"watch":                          {gpu, logicalcluster.Wildcard, "watch", "", http.StatusMethodNotAllowed},
		"delete, should authorizer fail": {gpu, logicalcluster.Wildcard, "delete", "widgets.example.com", http.StatusMethodNotAllowed},
	} {
		rec := serveCRDRequest(t, d, c.target, c.cluster, c.verb, c.crdName)
		assert.Equal(t, c.code, rec.Code, name)
		assert.Contains(t, rec.Body.String(), `"kind":"Status"`, name)
	}
	rec = serveCRDRequest(t, d, Target{Definition: d, Cluster: "compute", Name: "cpu"}, logicalcluster.Wildcard, "list", "")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `"items":[]`)
}

func TestCRDAuthorizer(t *testing.T) {
	d := syncerFixture()
	authz := NewRegistry(nil, nil, d, APIExport(widgetsExport())).Authorizer(authorizer.AuthorizerFunc(func(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
		return authorizer.DecisionAllow, "", nil
	}), authorizer.AuthorizerFunc(syncers{"syncer": true}.Authorize))
	gpu := WithTarget(logicalcluster.WithCluster(context.Background(), logicalcluster.Wildcard),
		Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: "gpu"})
	crds := func(u string, verb, sub string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: &user.DefaultInfo{Name: u}, Verb: verb, APIGroup: "apiextensions.k8s.io", APIVersion: "v1",
			Resource: "customresourcedefinitions", Subresource: sub, ResourceRequest: true}
	}
	for _, verb := range []string{"get", "list"} {
		decision, _, err := authz.Authorize(gpu, crds("syncer", verb, ""))
		require.NoError(t, err)
		assert.Equal(t, authorizer.DecisionAllow, decision, verb)
	}
	for _, attrs := range []authorizer.AttributesRecord{crds("syncer", "create", ""), crds("syncer", "update", ""), crds("syncer", "delete", ""),
		crds("syncer", "watch", ""), crds("syncer", "get", "status")} {
		decision, reason, _ := authz.Authorize(gpu, attrs)
		assert.Equal(t, authorizer.DecisionDeny, decision, "%s %s", attrs.Verb, attrs.Subresource)
		assert.Equal(t, "the virtual workspace allows only get, list on customresourcedefinitions", reason)
	}
	decision, reason, _ := authz.Authorize(gpu, crds("other", "list", ""))
	assert.Equal(t, authorizer.DecisionDeny, decision, "no sync verb")
	assert.Equal(t, d.accessDenied(), reason, "the same refusal as for any resource")

	export := APIExport(widgetsExport())
	vw := WithTarget(context.Background(), Target{Definition: export, Path: "root:provider", Cluster: "provider", Name: "widgets"})
	exportAuthz := NewRegistry(nil, nil, export).Authorizer(nil, authorizer.AuthorizerFunc(contentHolders{"dave": true}.Authorize))
	decision, _, _ = exportAuthz.Authorize(vw, crds("dave", "list", ""))
	assert.Equal(t, authorizer.DecisionDeny, decision, "the APIExport virtual workspace serves no CRDs")
}
