package authorization

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// crd is a CustomResourceDefinition of plural.group stored in cluster.
func crd(cluster, group, plural string) *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{ObjectMeta: meta(cluster, "", plural+"."+group),
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: group, Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: plural}}}
}

// standardRolesFixture is workspace "a" with its own CRD widgets.example.com and the bound resource
// things.provider.io, and users holding the standard roles: alice edit, vera view, adam admin and root
// cluster-admin through ClusterRoleBindings; erin edit and ann admin through RoleBindings in n1.
func standardRolesFixture(t testing.TB) *RBAC {
	t.Helper()
	index := NewRBACIndex()
	require.NoError(t, index.Roles.Replace(nil, "1"))
	require.NoError(t, index.ClusterRoles.Replace(nil, "1"))
	var crbs, rbs []interface{}
	for userName, role := range map[string]string{"alice": "edit", "vera": "view", "adam": "admin", "root": "cluster-admin"} {
		crbs = append(crbs, &rbacv1.ClusterRoleBinding{ObjectMeta: meta("a", "", userName), RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: role},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: userName}}})
	}
	for userName, role := range map[string]string{"erin": "edit", "ann": "admin"} {
		rbs = append(rbs, &rbacv1.RoleBinding{ObjectMeta: meta("a", "n1", userName), RoleRef: rbacv1.RoleRef{Kind: "ClusterRole", Name: role},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: userName}}})
	}
	require.NoError(t, index.ClusterRoleBindings.Replace(crbs, "1"))
	require.NoError(t, index.RoleBindings.Replace(rbs, "1"))
	crds := crdset.NewSet()
	require.NoError(t, crds.Local.Replace([]interface{}{crd("a", "example.com", "widgets"), crd("b", "other.io", "gadgets")}, "1"))
	crds.SetBound("a", []*apiextensionsv1.CustomResourceDefinition{crd("a", "provider.io", "things")})
	return &RBAC{Index: index, CRDs: crds}
}

func TestStandardRoles(t *testing.T) {
	rbac := standardRolesFixture(t)
	ctx := logicalcluster.WithCluster(context.Background(), "a")
	cases := []struct {
		user, verb, group, resource, subresource, namespace, name string
		want                                                      bool
	}{
		{"alice", "create", "example.com", "widgets", "", "default", "", true},
		{"alice", "update", "example.com", "widgets", "status", "default", "w", true},
		{"alice", "create", "provider.io", "things", "", "default", "", true},
		{"alice", "create", "apis.gantry.dev", "apibindings", "", "", "", true},
		{"alice", "delete", "", "secrets", "", "default", "s", true},
		{"alice", "create", "", "serviceaccounts", "token", "default", "sa", true},
		{"alice", "create", "tenancy.gantry.dev", "workspaces", "", "", "", true},
		{"alice", "use", "tenancy.gantry.dev", "workspacetypes", "", "", "team", true},
		{"alice", "get", "rbac.authorization.k8s.io", "roles", "", "default", "r", true},
		{"alice", "create", "rbac.authorization.k8s.io", "roles", "", "default", "", false},
		{"alice", "delete", "rbac.authorization.k8s.io", "clusterrolebindings", "", "", "x", false},
		{"alice", "bind", "apis.gantry.dev", "apiexports", "", "", "widgets", false},
		{"alice", "create", "other.io", "gadgets", "", "default", "", false}, // served in b, not in a
		{"alice", "create", "example.com", "gizmos", "", "default", "", false},
		{"alice", "get", "", "namespaces", "", "n1", "n1", true},
		{"alice", "delete", "", "namespaces", "", "n1", "n1", false},
		{"alice", "update", "", "namespaces", "finalize", "n1", "n1", false},
		{"alice", "create", "", "namespaces", "", "", "", false},
		{"vera", "get", "example.com", "widgets", "", "default", "w", true},
		{"vera", "list", "provider.io", "things", "", "", "", true},
		{"vera", "list", "apis.gantry.dev", "apibindings", "", "", "", true},
		{"vera", "get", "rbac.authorization.k8s.io", "roles", "", "default", "r", true},
		{"vera", "get", "", "configmaps", "", "default", "c", true},
		{"vera", "get", "", "secrets", "", "default", "s", false},
		{"vera", "list", "", "secrets", "", "", "", false},
		{"vera", "create", "example.com", "widgets", "", "default", "", false},
		{"adam", "create", "rbac.authorization.k8s.io", "roles", "", "default", "", true},
		{"adam", "create", "example.com", "widgets", "", "default", "", true},
		{"adam", "get", "", "namespaces", "", "n1", "n1", true},
		{"adam", "delete", "", "namespaces", "", "n1", "n1", false},
		{"adam", "create", "", "namespaces", "", "", "", false},
		{"erin", "create", "example.com", "widgets", "", "n1", "", true},
		{"erin", "create", "example.com", "widgets", "", "n2", "", false},
		{"erin", "delete", "", "namespaces", "", "n1", "n1", false},
		{"ann", "delete", "", "namespaces", "", "n1", "n1", false},
		{"ann", "update", "", "namespaces", "", "n1", "n1", false},
		{"root", "delete", "", "namespaces", "", "n1", "n1", true},
		{"root", "create", "", "namespaces", "", "", "", true},
	}
	for _, c := range cases {
		a := authorizer.AttributesRecord{User: &user.DefaultInfo{Name: c.user}, Verb: c.verb, ResourceRequest: true, APIGroup: c.group,
			Resource: c.resource, Subresource: c.subresource, Namespace: c.namespace, Name: c.name}
		d, _, err := rbac.Authorize(ctx, a)
		require.NoError(t, err)
		assert.Equal(t, c.want, d == authorizer.DecisionAllow, "%s %s %s.%s/%s in %q", c.user, c.verb, c.resource, c.group, c.subresource, c.namespace)
	}
}

// TestStandardRolesAsPlainRules checks the rules review and escalation prevention, which see the standard roles
// written out over what the workspace serves.
func TestStandardRolesAsPlainRules(t *testing.T) {
	rbac := standardRolesFixture(t)
	as := func(name string) context.Context {
		return genericapirequest.WithUser(logicalcluster.WithCluster(context.Background(), "a"), &user.DefaultInfo{Name: name})
	}
	resourceRules, _, _, err := rbac.RulesFor(as("alice"), &user.DefaultInfo{Name: "alice"}, "default")
	require.NoError(t, err)
	writes := map[string]bool{}
	for _, r := range resourceRules {
		if contains(r.GetVerbs(), "create") {
			for _, g := range r.GetAPIGroups() {
				writes[g] = true
			}
		}
	}
	for _, g := range []string{"example.com", "provider.io", "apis.gantry.dev", "", "tenancy.gantry.dev"} {
		assert.True(t, writes[g], "edit writes %q", g)
	}
	assert.False(t, writes["rbac.authorization.k8s.io"], "edit does not write RBAC")
	assert.False(t, writes["other.io"], "another workspace's CRD group")

	escalation := &Escalation{RBAC: rbac}
	widgets := []rbacv1.PolicyRule{{APIGroups: []string{"example.com"}, Resources: []string{"widgets"}, Verbs: []string{"get", "create"}}}
	assert.NoError(t, escalation.CanGrant(as("alice"), "roles", "default", widgets), "edit may grant what it holds")
	namespaces := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"delete"}}}
	assert.Error(t, escalation.CanGrant(as("adam"), "roles", "default", namespaces), "admin does not delete namespaces")
	secrets := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}}}
	assert.NoError(t, escalation.CanGrant(as("alice"), "roles", "default", secrets))
	assert.Error(t, escalation.CanGrant(as("vera"), "roles", "default", secrets), "view does not read secrets")
	for _, role := range []string{"edit", "view"} {
		assert.NoError(t, escalation.CanBind(as("adam"), rbacv1.RoleRef{Kind: "ClusterRole", Name: role}, "default"), "admin may bind %s", role)
	}
	assert.NoError(t, escalation.CanBind(as("alice"), rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"}, "default"), "edit may bind view")
	assert.Error(t, escalation.CanBind(as("alice"), rbacv1.RoleRef{Kind: "ClusterRole", Name: "admin"}, "default"))
	assert.Error(t, escalation.CanBind(as("vera"), rbacv1.RoleRef{Kind: "ClusterRole", Name: "edit"}, "default"))
}

// BenchmarkAuthorizeStandardRoles measures decisions of the standard roles over served resources: a built-in
// resource, a CRD's and a bound one (map lookups in pkg/crdset), and a refusal.
func BenchmarkAuthorizeStandardRoles(b *testing.B) {
	rbac := standardRolesFixture(b)
	ctx := logicalcluster.WithCluster(context.Background(), "a")
	for _, c := range []struct {
		name, group, resource string
		want                  authorizer.Decision
	}{
		{"builtin", "", "configmaps", authorizer.DecisionAllow},
		{"crd", "example.com", "widgets", authorizer.DecisionAllow},
		{"bound", "provider.io", "things", authorizer.DecisionAllow},
		{"rbac-refused", "rbac.authorization.k8s.io", "roles", authorizer.DecisionNoOpinion},
	} {
		attrs := authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "alice"}, Verb: "create", ResourceRequest: true,
			APIGroup: c.group, Resource: c.resource, Namespace: "default"}
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if d, _, _ := rbac.Authorize(ctx, attrs); d != c.want {
					b.Fatalf("got %v", d)
				}
			}
		})
	}
}
