package authorization

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func meta(cluster, ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Annotations: map[string]string{logicalcluster.AnnotationKey: cluster}}
}

func TestRuleAllows(t *testing.T) {
	get := authorizer.AttributesRecord{Verb: "get", ResourceRequest: true, Resource: "pods", Subresource: "log", Name: "p1"}
	cases := []struct {
		rule rbacv1.PolicyRule
		want bool
	}{
		{rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/log"}}, true},
		{rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}, false},
		{rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/*"}}, true},
		{rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"*/log"}}, true},
		{rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, true},
		{rbacv1.PolicyRule{Verbs: []string{"list"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, false},
		{rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"apps"}, Resources: []string{"*"}}, false},
		{rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/log"}, ResourceNames: []string{"p1"}}, true},
		{rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods/log"}, ResourceNames: []string{"p2"}}, false},
	}
	for i, c := range cases {
		assert.Equal(t, c.want, ruleAllows(get, c.rule), "case %d", i)
	}
	nonResource := authorizer.AttributesRecord{Verb: "get", Path: "/apis/example.com/v1"}
	assert.True(t, ruleAllows(nonResource, rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/apis/*"}}))
	assert.False(t, ruleAllows(nonResource, rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/api/*"}}))
	assert.False(t, ruleAllows(get, rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"*"}}), "non-resource rules grant no resources")
}

func TestRBACIsPerWorkspace(t *testing.T) {
	index := NewRBACIndex()
	require.NoError(t, index.Roles.Replace(nil, "1"))
	require.NoError(t, index.ClusterRoles.Replace([]interface{}{
		&rbacv1.ClusterRole{ObjectMeta: meta("b", "", "view"), Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}}},
	}, "1"))
	require.NoError(t, index.RoleBindings.Replace([]interface{}{
		&rbacv1.RoleBinding{ObjectMeta: meta("a", "default", "alice-view"), RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "alice"}}},
		&rbacv1.RoleBinding{ObjectMeta: meta("b", "default", "alice-view"), RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: "bob"}}},
	}, "1"))
	require.NoError(t, index.ClusterRoleBindings.Replace(nil, "1"))
	rbac := &RBAC{Index: index}
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{"system:authenticated"}}
	bob := &user.DefaultInfo{Name: "bob"}
	in := func(c logicalcluster.Name) context.Context {
		return logicalcluster.WithCluster(context.Background(), c)
	}
	req := func(u user.Info, verb, resource, ns string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: u, Verb: verb, ResourceRequest: true, Resource: resource, Namespace: ns}
	}
	decide := func(ctx context.Context, a authorizer.AttributesRecord) (authorizer.Decision, string) {
		d, reason, err := rbac.Authorize(ctx, a)
		require.NoError(t, err)
		return d, reason
	}

	d, _ := decide(in("a"), req(alice, "get", "configmaps", "default"))
	assert.Equal(t, authorizer.DecisionAllow, d, "the standard view role, bound in a")
	d, _ = decide(in("a"), req(alice, "get", "secrets", "default"))
	assert.Equal(t, authorizer.DecisionNoOpinion, d, "view does not read secrets")
	d, _ = decide(in("a"), req(alice, "get", "configmaps", "other"))
	assert.Equal(t, authorizer.DecisionNoOpinion, d, "the binding is for default only")
	d, reason := decide(in("b"), req(alice, "get", "configmaps", "default"))
	assert.Equal(t, authorizer.DecisionDeny, d, "a binding of the same name in b names bob, not alice")
	assert.Equal(t, AccessDenied, reason)
	d, _ = decide(in("b"), req(bob, "delete", "secrets", "default"))
	assert.Equal(t, authorizer.DecisionAllow, d, "b's own ClusterRole named view takes precedence over the standard one")
	d, reason = decide(logicalcluster.WithUnknown(context.Background(), "root:nope"), req(alice, "get", "configmaps", "default"))
	assert.Equal(t, authorizer.DecisionDeny, d)
	assert.Equal(t, AccessDenied, reason, "a missing workspace answers like a forbidden one")
	d, _ = decide(in("a"), authorizer.AttributesRecord{User: alice, Verb: "get", Path: "/apis"})
	assert.Equal(t, authorizer.DecisionAllow, d, "discovery for whoever may enter")
	d, _ = decide(context.Background(), authorizer.AttributesRecord{User: bob, Verb: "get", Path: "/livez"})
	assert.Equal(t, authorizer.DecisionAllow, d, "health outside any workspace")
	d, _ = decide(context.Background(), authorizer.AttributesRecord{User: bob, Verb: "get", Path: "/metrics"})
	assert.Equal(t, authorizer.DecisionNoOpinion, d, "metrics are for the admin")
}
