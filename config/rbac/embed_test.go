package rbac

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestClusterRolesParse(t *testing.T) {
	roles := ClusterRoles()
	var names []string
	for _, r := range roles {
		names = append(names, r.Name)
		assert.NotEmpty(t, r.Rules, r.Name)
	}
	assert.Equal(t, []string{"cluster-admin", "admin", "edit", "view", "system:discovery", "system:basic-user",
		"system:workspace-access"}, names)

	except, ok := ServedExcept(&roles[2])
	require.True(t, ok, "edit is evaluated over the served resources")
	assert.Equal(t, []schema.GroupResource{{Group: "rbac.authorization.k8s.io", Resource: "*"}, {Resource: "namespaces"}}, except)
	_, ok = ServedExcept(&roles[0])
	assert.False(t, ok, "cluster-admin's rules apply as written")

	roles[0].Rules = nil
	assert.NotEmpty(t, ClusterRoles()[0].Rules, "callers get copies")
}

func TestParseRefusesOtherKinds(t *testing.T) {
	_, err := parse([]byte("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: x}\n"))
	assert.Error(t, err)
}
