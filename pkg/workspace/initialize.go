package workspace

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	admissionregistrationv1client "k8s.io/client-go/kubernetes/typed/admissionregistration/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	rbacv1client "k8s.io/client-go/kubernetes/typed/rbac/v1"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// DefaultNamespace is created in every workspace, as in every Kubernetes cluster.
const DefaultNamespace = "default"

// initialize writes a new workspace's initial content and marks it Ready with its URL.
func (c *Controller) initialize(ctx context.Context, key string, ws *tenancyv1alpha1.Workspace) error {
	cluster := logicalcluster.Name(ws.Spec.Cluster)
	// Only the two group clients needed: building a whole clientset per new workspace was about half of the
	// controller's CPU for it (a profile of BenchmarkScale). Both speak protobuf, cheaper to encode and decode on
	// both ends than JSON.
	core, err := corev1client.NewForConfigAndClient(clusterwatch.UseProtobuf(c.clients.Config(string(cluster))), c.clients.HTTPClient())
	if err != nil {
		return err
	}
	rbac, err := rbacv1client.NewForConfigAndClient(clusterwatch.UseProtobuf(c.clients.Config(string(cluster))), c.clients.HTTPClient())
	if err != nil {
		return err
	}
	if err := ensureDefaultNamespace(ctx, core); err != nil {
		return err
	}
	if err := bindOwner(ctx, rbac, ws.Annotations[registry.OwnerAnnotation]); err != nil {
		return err
	}
	if err := c.bindDefaultAPIs(ctx, key, ws); err != nil {
		return err
	}
	if err := c.createDefaultPolicies(ctx, key, ws); err != nil {
		return err
	}
	path, ok := c.index.Path(cluster)
	if !ok {
		return fmt.Errorf("no path known for logical cluster %s: %w", cluster, errWaitForIndex)
	}
	ready := ws.DeepCopy()
	ready.Status.Phase = tenancyv1alpha1.WorkspacePhaseReady
	ready.Status.URL = c.externalURL + "/clusters/" + string(path)
	workspaces, _, err := c.workspacesOf(key)
	if err != nil {
		return err
	}
	_, err = workspaces.UpdateStatus(ctx, ready, metav1.UpdateOptions{})
	return err
}

// OwnerBinding is the ClusterRoleBinding that makes a workspace's creator its cluster-admin.
const OwnerBinding = "gantry:workspace-owner"

// bindOwner makes the creator of a workspace cluster-admin there; rbac is the workspace's client.
func bindOwner(ctx context.Context, rbac rbacv1client.ClusterRoleBindingsGetter, owner string) error {
	if owner == "" {
		return nil
	}
	_, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: OwnerBinding},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: owner}},
	}, metav1.CreateOptions{})
	return ignoreAlreadyExists(err)
}

// bindDefaultAPIs creates the APIBindings the workspace's type asks for, each named after its export. The type's
// writer was checked for the verb "bind" on them; the bindings then settle like any other (see their status).
func (c *Controller) bindDefaultAPIs(ctx context.Context, key string, ws *tenancyv1alpha1.Workspace) error {
	if c.bindings == nil || ws.Spec.Type == "" {
		return nil
	}
	parent, _ := logicalcluster.SplitKey(key)
	refs, err := c.bindings(ctx, parent, ws.Spec.Type)
	if err != nil {
		return fmt.Errorf("the type %q of workspace %s: %w", ws.Spec.Type, ws.Name, err)
	}
	client, err := c.clients.Gantry(ws.Spec.Cluster)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		binding := &apisv1alpha1.APIBinding{
			ObjectMeta: metav1.ObjectMeta{Name: ref.Export},
			Spec: apisv1alpha1.APIBindingSpec{Reference: apisv1alpha1.BindingReference{
				Export: &apisv1alpha1.ExportBindingReference{Path: ref.Path, Name: ref.Export}}},
		}
		if _, err := client.ApisV1alpha1().APIBindings().Create(ctx, binding, metav1.CreateOptions{}); ignoreAlreadyExists(err) != nil {
			return err
		}
	}
	return nil
}

// createDefaultPolicies creates the admission policies the workspace's type carries, each with its binding, before
// the workspace is Ready: no request of its users precedes them.
func (c *Controller) createDefaultPolicies(ctx context.Context, key string, ws *tenancyv1alpha1.Workspace) error {
	if c.policies == nil || ws.Spec.Type == "" {
		return nil
	}
	parent, _ := logicalcluster.SplitKey(key)
	defaults, err := c.policies(ctx, parent, ws.Spec.Type)
	if err != nil {
		return fmt.Errorf("the type %q of workspace %s: %w", ws.Spec.Type, ws.Name, err)
	}
	if len(defaults) == 0 {
		return nil
	}
	admission, err := admissionregistrationv1client.NewForConfigAndClient(c.clients.Config(ws.Spec.Cluster), c.clients.HTTPClient())
	if err != nil {
		return err
	}
	for _, d := range defaults {
		policy, binding := registry.DefaultPolicyObjects(d)
		if _, err := admission.ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{}); ignoreAlreadyExists(err) != nil {
			return fmt.Errorf("the admission policy %q of the type %q: %w", d.Name, ws.Spec.Type, err)
		}
		if _, err := admission.ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{}); ignoreAlreadyExists(err) != nil {
			return fmt.Errorf("the admission policy binding %q of the type %q: %w", d.Name, ws.Spec.Type, err)
		}
	}
	return nil
}

// ignoreAlreadyExists accepts that an object to create exists already.
func ignoreAlreadyExists(err error) error {
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// EnsureDefaultNamespace creates the default namespace in cluster unless it exists.
func (c *Controller) EnsureDefaultNamespace(ctx context.Context, cluster logicalcluster.Name) error {
	core, err := corev1client.NewForConfigAndClient(c.clients.Config(string(cluster)), c.clients.HTTPClient())
	if err != nil {
		return err
	}
	return ensureDefaultNamespace(ctx, core)
}

// ensureDefaultNamespace creates the default namespace through core, a workspace's client, unless it exists.
func ensureDefaultNamespace(ctx context.Context, core corev1client.NamespacesGetter) error {
	_, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: DefaultNamespace}},
		metav1.CreateOptions{})
	return ignoreAlreadyExists(err)
}
