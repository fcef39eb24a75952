package authorization

import (
	"context"
	"fmt"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	unionauthz "k8s.io/apiserver/pkg/authorization/union"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// benchIndex returns an index whose workspace "a" holds n RoleBindings to view in default, each naming another
// user, the last naming alice.
func benchIndex(b *testing.B, n int) *RBACIndex {
	index := NewRBACIndex()
	var bindings []interface{}
	for i := 0; i < n; i++ {
		subject := fmt.Sprintf("user-%d", i)
		if i == n-1 {
			subject = "alice"
		}
		bindings = append(bindings, &rbacv1.RoleBinding{ObjectMeta: meta("a", "default", fmt.Sprintf("rb-%d", i)),
			RoleRef:  rbacv1.RoleRef{Kind: "ClusterRole", Name: "view"},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, Name: subject}}})
	}
	for _, store := range []interface {
		Replace([]interface{}, string) error
	}{index.Roles, index.ClusterRoles, index.ClusterRoleBindings} {
		if err := store.Replace(nil, "1"); err != nil {
			b.Fatal(err)
		}
	}
	if err := index.RoleBindings.Replace(bindings, "1"); err != nil {
		b.Fatal(err)
	}
	return index
}

// BenchmarkAuthorize measures one RBAC decision in a workspace with many RoleBindings, in process (no HTTP), to
// separate the evaluation cost from the request path measured in test/bench.
func BenchmarkAuthorize(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("rolebindings-%d", n), func(b *testing.B) {
			rbac := &RBAC{Index: benchIndex(b, n)}
			ctx := logicalcluster.WithCluster(context.Background(), "a")
			attrs := authorizer.AttributesRecord{User: &user.DefaultInfo{Name: "alice"}, Verb: "get", ResourceRequest: true,
				Resource: "configmaps", Namespace: "default", Name: "x"}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if d, _, _ := rbac.Authorize(ctx, attrs); d != authorizer.DecisionAllow {
					b.Fatal("not allowed")
				}
			}
		})
	}
}

// BenchmarkAuthorizeVsAlwaysAllow runs the server's authorizer chain (system:masters first, then RBAC) in process
// for a system:masters user, whom the first step allows (the always-allow baseline), and for a user judged by RBAC
// among n RoleBindings, side by side in one run.
func BenchmarkAuthorizeVsAlwaysAllow(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		rbac := &RBAC{Index: benchIndex(b, n)}
		chain, err := unionauthz.New(
			unionauthz.NamedAuthorizer{AuthorizerName: "privileged", Authorizer: authorizerfactory.NewPrivilegedGroups(PrivilegedGroup)},
			unionauthz.NamedAuthorizer{AuthorizerName: "workspace-rbac", Authorizer: authorizer.AuthorizerFunc(rbac.Authorize)})
		if err != nil {
			b.Fatal(err)
		}
		ctx := logicalcluster.WithCluster(context.Background(), "a")
		for _, caller := range []struct {
			name string
			user user.Info
		}{
			{"always-allow", &user.DefaultInfo{Name: "admin", Groups: []string{PrivilegedGroup, user.AllAuthenticated}}},
			{"rbac", &user.DefaultInfo{Name: "alice", Groups: []string{user.AllAuthenticated}}},
		} {
			b.Run(fmt.Sprintf("rolebindings-%d/%s", n, caller.name), func(b *testing.B) {
				attrs := authorizer.AttributesRecord{User: caller.user, Verb: "get", ResourceRequest: true,
					Resource: "configmaps", Namespace: "default", Name: "x"}
				for i := 0; i < b.N; i++ {
					if d, _, _ := chain.Authorize(ctx, attrs); d != authorizer.DecisionAllow {
						b.Fatal("not allowed")
					}
				}
			})
		}
	}
}
