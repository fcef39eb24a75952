package registry

import (
	"context"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"
)

// RBACGuard keeps users from granting more than they hold, as Kubernetes' RBAC storage does.
type RBACGuard interface {
	// CanGrant returns an error unless the requesting user may create a Role (resource "roles", in namespace) or a
	// ClusterRole (resource "clusterroles") with these rules.
	CanGrant(ctx context.Context, resource, namespace string, rules []rbacv1.PolicyRule) error
	// CanBind returns an error unless the requesting user may bind the role in namespace ("" for a
	// ClusterRoleBinding).
	CanBind(ctx context.Context, ref rbacv1.RoleRef, namespace string) error
}

// guardChecks returns the guard's check for a kind of the RBAC group, or nil for other kinds.
func guardChecks(guard RBACGuard, kind string) func(ctx context.Context, obj runtime.Object) error {
	if guard == nil {
		return nil
	}
	switch kind {
	case "Role":
		return func(ctx context.Context, obj runtime.Object) error {
			r := obj.(*rbacv1.Role)
			return guard.CanGrant(ctx, "roles", r.Namespace, r.Rules)
		}
	case "ClusterRole":
		return func(ctx context.Context, obj runtime.Object) error {
			return guard.CanGrant(ctx, "clusterroles", "", obj.(*rbacv1.ClusterRole).Rules)
		}
	case "RoleBinding":
		return func(ctx context.Context, obj runtime.Object) error {
			rb := obj.(*rbacv1.RoleBinding)
			return guard.CanBind(ctx, rb.RoleRef, rb.Namespace)
		}
	case "ClusterRoleBinding":
		return func(ctx context.Context, obj runtime.Object) error {
			return guard.CanBind(ctx, obj.(*rbacv1.ClusterRoleBinding).RoleRef, "")
		}
	}
	return nil
}

// guardedStore runs a check on every object a create or update would store, before the store's own validation.
// It sits in the validation hooks, so patches, server-side apply and dry runs are checked too.
type guardedStore struct {
	*typedStore
	check func(ctx context.Context, obj runtime.Object) error
}

// Create implements rest.Creater.
func (s *guardedStore) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	return s.typedStore.Create(ctx, obj, s.onCreate(createValidation), options)
}

// Update implements rest.Updater.
func (s *guardedStore) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	onUpdate := func(ctx context.Context, obj, old runtime.Object) error {
		if err := s.check(ctx, obj); err != nil {
			return err
		}
		if updateValidation != nil {
			return updateValidation(ctx, obj, old)
		}
		return nil
	}
	return s.typedStore.Update(ctx, name, objInfo, s.onCreate(createValidation), onUpdate, forceAllowCreate, options)
}

func (s *guardedStore) onCreate(next rest.ValidateObjectFunc) rest.ValidateObjectFunc {
	return func(ctx context.Context, obj runtime.Object) error {
		if err := s.check(ctx, obj); err != nil {
			return err
		}
		if next != nil {
			return next(ctx, obj)
		}
		return nil
	}
}
