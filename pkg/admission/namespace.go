package admission

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// NamespaceExists refuses to create a namespaced object in a namespace that does not exist in the workspace, or
// that is terminating, as Kubernetes' NamespaceLifecycle does. It reads a wildcard index of namespaces and, when
// the index has not seen a namespace yet (it was just created), asks the server itself.
type NamespaceExists struct {
	// Namespaces is the index of every workspace's namespaces.
	Namespaces *clusterwatch.Store[*corev1.Namespace]
	// Client is a privileged loopback client without a /clusters prefix, for index misses.
	Client rest.Interface
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
		live := &corev1.Namespace{}
		err := n.Client.Get().AbsPath("/clusters/" + string(cluster) + "/api/v1/namespaces/" + namespace).
			Do(ctx).Into(live)
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
