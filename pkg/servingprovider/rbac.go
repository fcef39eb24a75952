package servingprovider

import (
	"context"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
)

// ensureBindPermission lets every authenticated user bind the export: a ClusterRole granting the verb "bind" on
// it, bound to system:authenticated, both put back as shipped.
func (c *Controller) ensureBindPermission(ctx context.Context) error {
	kube, err := c.clients.Kubernetes(Path)
	if err != nil {
		return err
	}
	role := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: BindRole},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{apisv1alpha1.SchemeGroupVersion.Group}, Resources: []string{"apiexports"},
			ResourceNames: []string{ExportName}, Verbs: []string{"bind"}}},
	}
	roles := kube.RbacV1().ClusterRoles()
	got, err := roles.Get(ctx, BindRole, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if _, err := roles.Create(ctx, role, metav1.CreateOptions{}); err != nil {
			return err
		}
	case err != nil:
		return err
	case !equality.Semantic.DeepEqual(got.Rules, role.Rules):
		got = got.DeepCopy()
		got.Rules = role.Rules
		if _, err := roles.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
			return err
		}
	}

	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: BindRole},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: BindRole},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: user.AllAuthenticated}},
	}
	bindings := kube.RbacV1().ClusterRoleBindings()
	gotBinding, err := bindings.Get(ctx, BindRole, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = bindings.Create(ctx, binding, metav1.CreateOptions{})
		return err
	case err != nil:
		return err
	case gotBinding.RoleRef != binding.RoleRef:
		// The role a binding refers to cannot change: replace the binding.
		if err := bindings.Delete(ctx, BindRole, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		_, err = bindings.Create(ctx, binding, metav1.CreateOptions{})
		return err
	case !equality.Semantic.DeepEqual(gotBinding.Subjects, binding.Subjects):
		gotBinding = gotBinding.DeepCopy()
		gotBinding.Subjects = binding.Subjects
		_, err = bindings.Update(ctx, gotBinding, metav1.UpdateOptions{})
		return err
	}
	return nil
}
