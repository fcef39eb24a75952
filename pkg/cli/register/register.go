package register

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// Target is what registering a cluster creates in the compute workspace.
type Target struct {
	// Name is the SyncTarget's name.
	Name string
	// Exports are the supported APIExports, as "<workspace path>:<export>".
	Exports []string
	// Labels are the SyncTarget's labels (region, GPU product), which Placements select.
	Labels map[string]string
	// TokenDuration is how long the syncer's token lives.
	TokenDuration time.Duration
}

// Clients are the clients of the compute workspace.
type Clients struct {
	Kubernetes kubernetes.Interface
	Gantry     versioned.Interface
}

// ServiceAccountNamespace is where the syncers' ServiceAccounts live in the compute workspace.
const ServiceAccountNamespace = "default"

// Register creates or updates the SyncTarget, the ServiceAccount gantry-syncer-<name> and its ClusterRole and
// ClusterRoleBinding allowing exactly `sync` on the target, with a Role allowing it to renew its own token, and
// returns a token of that ServiceAccount.
func Register(ctx context.Context, c Clients, t Target, progress io.Writer) (string, error) {
	exports, err := ParseExports(t.Exports)
	if err != nil {
		return "", err
	}
	if err := applySyncTarget(ctx, c.Gantry, t, exports); err != nil {
		return "", err
	}
	fmt.Fprintf(progress, "synctarget/%s ready for its syncer\n", t.Name)
	name := baseName + "-" + t.Name
	if err := applyAccount(ctx, c.Kubernetes, name, t.Name); err != nil {
		return "", err
	}
	seconds := int64(t.TokenDuration / time.Second)
	tr, err := c.Kubernetes.CoreV1().ServiceAccounts(ServiceAccountNamespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &seconds}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("requesting a token of serviceaccount %s: %w", name, err)
	}
	fmt.Fprintf(progress, "serviceaccount/%s may sync synctarget/%s; its token expires %s\n", name, t.Name,
		tr.Status.ExpirationTimestamp.UTC().Format(time.RFC3339))
	return tr.Status.Token, nil
}

// ParseExports parses "<workspace path>:<export>" references.
func ParseExports(refs []string) ([]computev1alpha1.ExportReference, error) {
	out := make([]computev1alpha1.ExportReference, 0, len(refs))
	for _, ref := range refs {
		i := strings.LastIndex(ref, ":")
		if i <= 0 || i == len(ref)-1 {
			return nil, fmt.Errorf("--supported-api-export %q: want <workspace path>:<export>, for example root:provider:widgets", ref)
		}
		out = append(out, computev1alpha1.ExportReference{Path: ref[:i], Export: ref[i+1:]})
	}
	return out, nil
}

// applySyncTarget creates the SyncTarget, or updates its exports and labels when it exists.
func applySyncTarget(ctx context.Context, client versioned.Interface, t Target, exports []computev1alpha1.ExportReference) error {
	targets := client.ComputeV1alpha1().SyncTargets()
	existing, err := targets.Get(ctx, t.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = targets.Create(ctx, &computev1alpha1.SyncTarget{ObjectMeta: metav1.ObjectMeta{Name: t.Name, Labels: t.Labels},
			Spec: computev1alpha1.SyncTargetSpec{SupportedAPIExports: exports}}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	existing.Spec.SupportedAPIExports = exports
	if len(t.Labels) > 0 && existing.Labels == nil {
		existing.Labels = map[string]string{}
	}
	for k, v := range t.Labels {
		existing.Labels[k] = v
	}
	_, err = targets.Update(ctx, existing, metav1.UpdateOptions{})
	return err
}

// applyAccount creates the ServiceAccount name, a ClusterRole and binding letting it sync target, and a Role and
// binding letting it create tokens of itself (serviceaccounts/token), or brings them back to that when they exist.
func applyAccount(ctx context.Context, client kubernetes.Interface, name, target string) error {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ServiceAccountNamespace}}
	if _, err := client.CoreV1().ServiceAccounts(ServiceAccountNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{computev1alpha1.GroupName}, Resources: []string{"synctargets"}, ResourceNames: []string{target},
		Verbs: []string{computev1alpha1.SyncVerb}}}}
	if err := createOrUpdate(ctx, client.RbacV1().ClusterRoles(), role); err != nil {
		return err
	}
	subjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: ServiceAccountNamespace, Name: name}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: subjects}
	if err := createOrUpdate(ctx, client.RbacV1().ClusterRoleBindings(), binding); err != nil {
		return err
	}
	// The syncer renews its own token, and no other ServiceAccount's.
	renew := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ServiceAccountNamespace}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}, ResourceNames: []string{name}, Verbs: []string{"create"}}}}
	if err := createOrUpdate(ctx, client.RbacV1().Roles(ServiceAccountNamespace), renew); err != nil {
		return err
	}
	renewBinding := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ServiceAccountNamespace},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name}, Subjects: subjects}
	return createOrUpdate(ctx, client.RbacV1().RoleBindings(ServiceAccountNamespace), renewBinding)
}

// writer is the create and update of one typed client.
type writer[T metav1.Object] interface {
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
}

// createOrUpdate creates obj, or replaces the existing object's content with it.
func createOrUpdate[T metav1.Object](ctx context.Context, client writer[T], obj T) error {
	_, err := client.Create(ctx, obj, metav1.CreateOptions{})
	if !apierrors.IsAlreadyExists(err) {
		return err
	}
	existing, err := client.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if err != nil {
		return err
	}
	obj.SetResourceVersion(existing.GetResourceVersion())
	_, err = client.Update(ctx, obj, metav1.UpdateOptions{})
	return err
}
