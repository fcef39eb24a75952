package placement

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/workqueue"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// builtinResources are the built-in resources whose objects are placed: those a SyncTarget may carry.
var builtinResources = []schema.GroupVersionResource{
	corev1.SchemeGroupVersion.WithResource("configmaps"),
	corev1.SchemeGroupVersion.WithResource("secrets"),
}

// PlacedResources are the resources of a workspace whose objects are placed: the built-in configmaps and secrets,
// and every resource the workspace binds.
func PlacedResources(crds *crdset.Set, cluster logicalcluster.Name) []schema.GroupVersionResource {
	placed := placedResources(crds, cluster)
	out := make([]schema.GroupVersionResource, 0, len(placed))
	for _, r := range placed {
		out = append(out, r.gvr)
	}
	return out
}

// placedResource is a resource whose objects are placed, and whether it has a status subresource.
type placedResource struct {
	gvr    schema.GroupVersionResource
	status bool
}

// placedResources are PlacedResources, each with whether it has a status (the built-in ones have none).
func placedResources(crds *crdset.Set, cluster logicalcluster.Name) []placedResource {
	out := make([]placedResource, 0, len(builtinResources))
	for _, gvr := range builtinResources {
		out = append(out, placedResource{gvr: gvr})
	}
	for _, crd := range crds.InCluster(cluster) {
		if !crdset.IsBound(crd) || crd.Spec.Scope != "Namespaced" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if v.Storage {
				out = append(out, placedResource{
					gvr:    schema.GroupVersionResource{Group: crd.Spec.Group, Version: v.Name, Resource: crd.Status.AcceptedNames.Plural},
					status: v.Subresources != nil && v.Subresources.Status != nil,
				})
			}
		}
	}
	return out
}

// Placeable reports whether an object of a placed resource is placed at all: the namespace's root CA ConfigMap
// and ServiceAccount token Secrets belong to the workspace, not to a cluster.
func Placeable(resource string, name string, secretType string) bool {
	switch resource {
	case "configmaps":
		return name != "kube-root-ca.crt"
	case "secrets":
		return secretType != string(corev1.SecretTypeServiceAccountToken)
	}
	return true
}

// listPlaceable lists the objects of one placed resource, in a namespace or in all, that a Placement places
// (Placeable); none when the resource was unbound meanwhile.
func listPlaceable(ctx context.Context, client dynamic.ResourceInterface, resource string) ([]*unstructured.Unstructured, error) {
	list, err := client.List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
		return nil, nil // unbound meanwhile
	}
	if err != nil {
		return nil, err
	}
	objects := make([]*unstructured.Unstructured, 0, len(list.Items))
	for i := range list.Items {
		obj := &list.Items[i]
		secretType, _, _ := unstructured.NestedString(obj.Object, "type")
		if Placeable(resource, obj.GetName(), secretType) {
			objects = append(objects, obj)
		}
	}
	return objects, nil
}

// sweep brings the state labels of every placed object in a namespace in line with want: wanted targets are
// Sync, and a target no longer wanted turns to Delete (its syncer removes the copy, then the label).
func (c *Controller) sweep(ctx context.Context, cluster logicalcluster.Name, namespace string, want map[string]string) error {
	client, err := c.config.Clients.Dynamic(string(cluster))
	if err != nil {
		return err
	}
	for _, gvr := range PlacedResources(c.config.CRDs, cluster) {
		if err := sweepResource(ctx, client.Resource(gvr).Namespace(namespace), gvr.Resource, want); err != nil {
			return fmt.Errorf("labeling %s in %s: %w", gvr.Resource, namespace, err)
		}
	}
	return nil
}

// sweepConcurrency is how many objects of one namespace and resource a sweep relabels at once. A failover relabels
// every object the lost target held; one request at a time, that takes their number times the server's latency
// per write, which under load is hundreds of milliseconds.
const sweepConcurrency = 16

// sweepResource relabels the objects of one resource in a namespace, sweepConcurrency at a time, and returns the
// first error.
func sweepResource(ctx context.Context, client dynamic.ResourceInterface, resource string, want map[string]string) error {
	objects, err := listPlaceable(ctx, client, resource)
	if err != nil {
		return err
	}
	type relabel struct {
		name string
		body []byte
	}
	var todo []relabel
	for _, obj := range objects {
		patch := labelPatch(StateLabels(obj.GetLabels()), want)
		if len(patch) == 0 {
			continue
		}
		body, err := json.Marshal(map[string]interface{}{"metadata": map[string]interface{}{"labels": patch}})
		if err != nil {
			return err
		}
		todo = append(todo, relabel{name: obj.GetName(), body: body})
	}
	errs := make([]error, len(todo))
	workqueue.ParallelizeUntil(ctx, sweepConcurrency, len(todo), func(i int) {
		_, err := client.Patch(ctx, todo[i].name, types.MergePatchType, todo[i].body, metav1.PatchOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			errs[i] = err
		}
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// labelPatch is the labels patch that turns an object's state labels have into want: wanted ones Sync, others
// that are Sync become Delete; nil when nothing changes.
func labelPatch(have, want map[string]string) map[string]interface{} {
	patch := map[string]interface{}{}
	for k, v := range want {
		if have[k] != v {
			patch[k] = v
		}
	}
	for k, v := range have {
		if _, wanted := want[k]; !wanted && v != computev1alpha1.ResourceStateDelete {
			patch[k] = computev1alpha1.ResourceStateDelete
		}
	}
	return patch
}
