package admission

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk"
)

// NamespaceExists refuses to create a namespaced object in a namespace that does not exist in the workspace, or
// that is terminating, as Kubernetes' NamespaceLifecycle does. It reads a wildcard index of namespaces and, when
// the index has not seen a namespace yet (it was just created), asks the server itself.
type NamespaceExists struct {
	// Namespaces is the index of every workspace's namespaces.
	Namespaces *clusterwatch.Store[*corev1.Namespace]
	// Clients makes privileged clients of a workspace, for index misses.
	Clients *sdk.Client
}

var _ admission.ValidationInterface = &NamespaceExists{}

// Handles implements admission.Interface: only creations.
func (n *NamespaceExists) Handles(op admission.Operation) bool { return op == admission.Create }

// Validate implements admission.ValidationInterface.
func (n *NamespaceExists) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	namespace := a.GetNamespace()
	if namespace == "" || a.GetKind().GroupKind() == corev1.SchemeGroupVersion.WithKind("Namespace").GroupKind() {
		return nil
	}
	// A subresource create (a TokenRequest, an eviction) acts on an existing object.
	if a.GetSubresource() != "" {
		return nil
	}
	cluster, ok := logicalcluster.From(ctx)
	if !ok || cluster == logicalcluster.Wildcard {
		return nil // storage refuses these on its own
	}
	ns, found := n.Namespaces.Get(cluster, namespace)
	if !found {
		live, err := n.lookup(ctx, cluster, namespace)
		switch {
		case apierrors.IsNotFound(err):
			return apierrors.NewNotFound(corev1.Resource("namespaces"), namespace)
		case err != nil:
			return apierrors.NewInternalError(fmt.Errorf("looking up namespace %q: %w", namespace, err))
		}
		ns = live
	}
	if ns.Status.Phase == corev1.NamespaceTerminating || ns.DeletionTimestamp != nil {
		return apierrors.NewForbidden(a.GetResource().GroupResource(), a.GetName(),
			fmt.Errorf("unable to create new content in namespace %s because it is being terminated", namespace))
	}
	return nil
}

// lookup reads a namespace the index has not seen yet from the server itself.
func (n *NamespaceExists) lookup(ctx context.Context, cluster logicalcluster.Name, namespace string) (*corev1.Namespace, error) {
	clients, err := n.Clients.Cluster(string(cluster))
	if err != nil {
		return nil, err
	}
	return clients.Kubernetes.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
}
