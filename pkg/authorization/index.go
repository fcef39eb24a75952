package authorization

import (
	"context"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// Run feeds the index from four wildcard watches (one per RBAC kind, for all workspaces) until ctx ends. loopback
// is a privileged client config without a /clusters prefix.
func (x *RBACIndex) Run(ctx context.Context, loopback *rest.Config) error {
	client, err := clusterwatch.LoopbackClient(loopback, rbacv1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return err
	}
	feed := func(resource string, newList func() runtime.Object, example runtime.Object, store cache.ReflectorStore) {
		clusterwatch.Feed(ctx, client, "/apis/rbac.authorization.k8s.io/v1/"+resource, newList, example, store, "rbac-index-"+resource)
	}
	feed("roles", func() runtime.Object { return &rbacv1.RoleList{} }, &rbacv1.Role{}, x.Roles)
	feed("rolebindings", func() runtime.Object { return &rbacv1.RoleBindingList{} }, &rbacv1.RoleBinding{}, x.RoleBindings)
	feed("clusterroles", func() runtime.Object { return &rbacv1.ClusterRoleList{} }, &rbacv1.ClusterRole{}, x.ClusterRoles)
	feed("clusterrolebindings", func() runtime.Object { return &rbacv1.ClusterRoleBindingList{} }, &rbacv1.ClusterRoleBinding{}, x.ClusterRoleBindings)
	return nil
}
