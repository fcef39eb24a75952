package virtualworkspace

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func TestSupportedBuiltins(t *testing.T) {
	configmaps, secrets := corev1.SchemeGroupVersion.WithResource("configmaps"), corev1.SchemeGroupVersion.WithResource("secrets")
	targets := syncTargets{
		logicalcluster.Key("compute", "default"): {},
		logicalcluster.Key("compute", "secrets"): {Spec: computev1alpha1.SyncTargetSpec{BuiltinResources: []string{"secrets", "serviceaccounts", "roles"}}},
	}
	at := func(name string) Target { return Target{Cluster: "compute", Name: name} }
	assert.Equal(t, []schema.GroupVersionResource{configmaps, secrets}, supportedBuiltins(targets, at("default")), "the default")
	assert.Equal(t, []schema.GroupVersionResource{secrets}, supportedBuiltins(targets, at("secrets")), "only syncable ones")
	assert.Empty(t, supportedBuiltins(targets, at("missing")))
}

func TestBuiltinAuthorizer(t *testing.T) {
	d := syncerFixture()
	authz := NewRegistry(nil, nil, d).Authorizer(nil, authorizer.AuthorizerFunc(syncers{"syncer": true}.Authorize))
	gpu := WithTarget(logicalcluster.WithCluster(context.Background(), logicalcluster.Wildcard),
		Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: "gpu"})
	attrs := func(u, verb, resource, sub string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: &user.DefaultInfo{Name: u}, Verb: verb, APIVersion: "v1", Resource: resource, Subresource: sub, ResourceRequest: true}
	}
	for _, c := range []struct {
		attrs authorizer.AttributesRecord
		allow bool
	}{
		{attrs("syncer", "list", "configmaps", ""), true},
		{attrs("syncer", "watch", "secrets", ""), true},
		{attrs("syncer", "patch", "secrets", ""), true},
		{attrs("syncer", "create", "configmaps", ""), false},
		{attrs("syncer", "delete", "secrets", ""), false},
		{attrs("syncer", "get", "secrets", "status"), false},
		{attrs("syncer", "list", "serviceaccounts", ""), false},
		{attrs("syncer", "list", "namespaces", ""), false},
		{attrs("other", "list", "configmaps", ""), false},
	} {
		decision, _, err := authz.Authorize(gpu, c.attrs)
		assert.NoError(t, err)
		assert.Equal(t, c.allow, decision == authorizer.DecisionAllow, "%s %s %s", c.attrs.User.GetName(), c.attrs.Verb, c.attrs.Resource)
	}
}

func TestSetBuiltinsRefusesStorageThatCannotUpdate(t *testing.T) {
	r := NewRegistry(nil, nil, syncerFixture())
	err := r.SetBuiltins(map[schema.GroupVersionResource]rest.Storage{corev1.SchemeGroupVersion.WithResource("configmaps"): readOnly{}}, nil)
	assert.Error(t, err)
}

type readOnly struct{ rest.Storage }

// A built-in resource the registry has no storage for is not found, even when the definition offers it.
func TestBuiltinWithoutStorage(t *testing.T) {
	d := syncerFixture()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/configmaps", nil)
	ctx := WithTarget(logicalcluster.WithCluster(req.Context(), logicalcluster.Wildcard), Target{Definition: d, Cluster: "compute", Name: "gpu"})
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{IsResourceRequest: true, Verb: "list", APIPrefix: "api",
		APIVersion: "v1", Resource: "configmaps"})
	rec := httptest.NewRecorder()
	NewRegistry(nil, nil, d).Wrap(http.NotFoundHandler()).ServeHTTP(rec, req.WithContext(ctx))
	require.Equal(t, http.StatusNotFound, rec.Code)
	assert.Contains(t, rec.Body.String(), `"kind":"Status"`)
}
