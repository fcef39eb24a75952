package authorization

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// The verb sync on one SyncTarget lets its syncer read that target and write its status, and nothing more.
func TestSyncImpliesItsTargetOnly(t *testing.T) {
	index := NewRBACIndex()
	require.NoError(t, index.Roles.Replace(nil, "1"))
	require.NoError(t, index.RoleBindings.Replace(nil, "1"))
	require.NoError(t, index.ClusterRoles.Replace([]interface{}{
		&rbacv1.ClusterRole{ObjectMeta: meta("compute", "", "sync-gpu"), Rules: []rbacv1.PolicyRule{
			{Verbs: []string{SyncVerb}, APIGroups: []string{"compute.gantry.dev"}, Resources: []string{"synctargets"}, ResourceNames: []string{"gpu"}}}},
	}, "1"))
	require.NoError(t, index.ClusterRoleBindings.Replace([]interface{}{
		&rbacv1.ClusterRoleBinding{ObjectMeta: meta("compute", "", "sync-gpu"), RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "sync-gpu"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "syncer"}}},
	}, "1"))
	rbac := &RBAC{Index: index}
	syncer := &user.DefaultInfo{Name: "syncer"}
	ctx := logicalcluster.WithCluster(context.Background(), "compute")
	allowed := func(verb, name, subresource string) bool {
		d, _, err := rbac.Authorize(ctx, authorizer.AttributesRecord{User: syncer, Verb: verb, ResourceRequest: true,
			APIGroup: "compute.gantry.dev", APIVersion: "v1alpha1", Resource: "synctargets", Subresource: subresource, Name: name})
		require.NoError(t, err)
		return d == authorizer.DecisionAllow
	}
	for _, verb := range []string{"get", "list", "watch"} {
		assert.True(t, allowed(verb, "gpu", ""), "%s its target", verb)
	}
	for _, verb := range []string{"get", "update", "patch"} {
		assert.True(t, allowed(verb, "gpu", "status"), "%s its target's status", verb)
	}
	assert.False(t, allowed("update", "gpu", ""), "not the spec")
	assert.False(t, allowed("delete", "gpu", ""))
	assert.False(t, allowed("list", "", ""), "not every target")
	assert.False(t, allowed("get", "cpu", ""), "not another target")
	assert.False(t, allowed("update", "cpu", "status"), "not another target's status")
	d, _, err := rbac.Authorize(ctx, authorizer.AttributesRecord{User: syncer, Verb: "get", ResourceRequest: true,
		APIGroup: "compute.gantry.dev", APIVersion: "v1alpha1", Resource: "placements", Name: "gpu"})
	require.NoError(t, err)
	assert.NotEqual(t, authorizer.DecisionAllow, d, "not another resource of the same name")
	d, _, err = rbac.Authorize(logicalcluster.WithCluster(context.Background(), "team"), authorizer.AttributesRecord{User: syncer,
		Verb: "get", ResourceRequest: true, APIGroup: "compute.gantry.dev", Resource: "synctargets", Name: "gpu"})
	require.NoError(t, err)
	assert.Equal(t, authorizer.DecisionDeny, d, "not a target of the same name in another workspace")
}
