package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestServedResources(t *testing.T) {
	served := ServedResources()
	assert.Equal(t, []string{"configmaps", "events", "namespaces", "secrets", "serviceaccounts"}, served[""])
	assert.Equal(t, []string{"clusterrolebindings", "clusterroles", "rolebindings", "roles"}, served["rbac.authorization.k8s.io"])
	assert.Equal(t, []string{"apibindings", "apiexports", "apiresourceschemas"}, served["apis.gantry.dev"])
	assert.Equal(t, []string{"customresourcedefinitions"}, served["apiextensions.k8s.io"])
	assert.Equal(t, []string{"selfsubjectreviews"}, served["authentication.k8s.io"], "tokens are a subresource of serviceaccounts")
	for group := range served {
		assert.Contains(t, ServedGroups(), group)
	}
}

func TestReserved(t *testing.T) {
	r := NewReserved(ServedGroups())
	for _, resource := range []string{"configmaps", "secrets", "namespaces", "serviceaccounts", "events"} {
		assert.True(t, r.Resource("", resource), "Gantry serves %s itself", resource)
	}
	assert.False(t, r.Resource("", "services"), "a binding may serve services")
	assert.False(t, r.Resource("", "persistentvolumeclaims"))
	assert.True(t, r.Resource("rbac.authorization.k8s.io", "anything"), "a served group is reserved whole")
	assert.False(t, r.Resource("apps", "deployments"))
	assert.False(t, r.Group(""), "the core group is never reserved whole")
	assert.True(t, r.Group("apis.gantry.dev"))
	assert.False(t, NewReserved(nil).Resource("", "configmaps"), "nothing reserved without the core group")
}
