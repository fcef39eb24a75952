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
