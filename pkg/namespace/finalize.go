package namespace

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/klog/v2"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// finalize deletes everything in a terminating namespace, built-in and custom resources alike, and once nothing
// is left removes the namespace's "kubernetes" finalizer, which deletes it.
func (c *Controller) finalize(ctx context.Context, cluster logicalcluster.Name, ns *corev1.Namespace) error {
	clients, err := c.clients.Cluster(string(cluster))
	if err != nil {
		return err
	}
	dyn := clients.Dynamic
	resources, err := namespacedResources(clients.Kubernetes.Discovery())
	if err != nil {
		return err
	}
	remaining := 0
	for _, r := range resources {
		n, err := deleteAll(ctx, dyn.Resource(r.gvr).Namespace(ns.Name), r.deleteCollection)
		if err != nil {
			return fmt.Errorf("deleting %s in namespace %s: %w", r.gvr.GroupResource(), ns.Name, err)
		}
		remaining += n
	}
	if remaining > 0 {
		klog.FromContext(ctx).V(2).Info("Waiting for namespace content to go", "workspace", cluster, "namespace", ns.Name, "remaining", remaining)
		return errContentRemains
	}
	finalized := ns.DeepCopy()
	finalized.Spec.Finalizers = slices.DeleteFunc(finalized.Spec.Finalizers, func(f corev1.FinalizerName) bool {
		return f == corev1.FinalizerKubernetes
	})
	_, err = clients.Kubernetes.CoreV1().Namespaces().Finalize(ctx, finalized, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone already, or changed: the index will bring it back if it needs more
	}
	return err
}

// resource is a namespaced resource the controller empties.
type resource struct {
	gvr              schema.GroupVersionResource
	deleteCollection bool
}

// namespacedResources lists the workspace's namespaced resources that can be listed and deleted, each once, in
// its preferred version.
func namespacedResources(disco discovery.DiscoveryInterface) ([]resource, error) {
	lists, err := disco.ServerPreferredNamespacedResources()
	if err != nil && len(lists) == 0 {
		return nil, err
	}
	var out []resource
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			return nil, err
		}
		for _, r := range list.APIResources {
			if !slices.Contains(r.Verbs, "list") || !slices.Contains(r.Verbs, "delete") {
				continue
			}
			out = append(out, resource{gvr: gv.WithResource(r.Name), deleteCollection: slices.Contains(r.Verbs, "deletecollection")})
		}
	}
	return out, err
}

// deleteAll deletes every object of one resource in the namespace and returns how many remain (those with
// finalizers, or deleted in the meantime).
func deleteAll(ctx context.Context, client dynamic.ResourceInterface, deleteCollection bool) (int, error) {
	background := metav1.DeletePropagationBackground
	opts := metav1.DeleteOptions{PropagationPolicy: &background}
	if deleteCollection {
		if err := client.DeleteCollection(ctx, opts, metav1.ListOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return 0, err
		}
	}
	list, err := client.List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	remaining := 0
	for _, item := range list.Items {
		remaining++
		if item.GetDeletionTimestamp() != nil {
			continue
		}
		if err := client.Delete(ctx, item.GetName(), opts); err != nil && !apierrors.IsNotFound(err) {
			return 0, err
		}
	}
	return remaining, nil
}
