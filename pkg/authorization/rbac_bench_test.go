package authorization

import (
	"context"
	"fmt"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// BenchmarkAuthorize measures one RBAC decision in a workspace with many RoleBindings, in process (no HTTP), to
// separate the evaluation cost from the request path measured in test/bench.
func BenchmarkAuthorize(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("rolebindings-%d", n), func(b *testing.B) {
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
			rbac := &RBAC{Index: index}
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
