package placement

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// The resources whose objects run pods that may request GPUs, and the one whose objects tell an
// InferenceService's default resources.
var (
	deployments       = schema.GroupResource{Group: "apps", Resource: "deployments"}
	statefulSets      = schema.GroupResource{Group: "apps", Resource: "statefulsets"}
	replicaSets       = schema.GroupResource{Group: "apps", Resource: "replicasets"}
	jobs              = schema.GroupResource{Group: "batch", Resource: "jobs"}
	pods              = schema.GroupResource{Resource: "pods"}
	inferenceServices = schema.GroupResource{Group: servingv1alpha1.GroupName, Resource: "inferenceservices"}
	servingRuntimes   = schema.GroupResource{Group: servingv1alpha1.GroupName, Resource: "servingruntimes"}
)

// requestsGPUs reports whether objects of a resource may request GPUs.
func requestsGPUs(r schema.GroupResource) bool {
	switch r {
	case deployments, statefulSets, replicaSets, jobs, pods, inferenceServices:
		return true
	}
	return false
}

// placedObject is an object of a placed resource.
type placedObject struct {
	resource schema.GroupResource
	object   *unstructured.Unstructured
}

// gpuDemand is the number of GPUs the given placed objects request when they all run: for each object with a pod
// template its replicas (a Job's parallelism) times the GPUs of one pod, for a bare Pod its own, and for an
// InferenceService what the serving operator runs for it (minReplicas pods of the predictor's resources, else of
// those of the namespace's ServingRuntime it names; Gantry's built-in runtimes request none). Objects of other
// resources request none.
func gpuDemand(objects []placedObject) (int64, error) {
	runtimes := map[string]*unstructured.Unstructured{} // "namespace/name" of each ServingRuntime
	for _, o := range objects {
		if o.resource == servingRuntimes {
			runtimes[o.object.GetNamespace()+"/"+o.object.GetName()] = o.object
		}
	}
	var total int64
	for _, o := range objects {
		n, err := objectGPUs(o.resource, o.object, runtimes)
		if err != nil {
			return 0, fmt.Errorf("reading the GPU request of %s %s/%s: %w", o.resource, o.object.GetNamespace(), o.object.GetName(), err)
		}
		total += n
	}
	return total, nil
}

// objectGPUs is the number of GPUs one object requests when it runs; runtimes are the ServingRuntimes by
// "namespace/name".
func objectGPUs(resource schema.GroupResource, obj *unstructured.Unstructured, runtimes map[string]*unstructured.Unstructured) (int64, error) {
	switch resource {
	case deployments, statefulSets, replicaSets:
		replicas, err := optionalInt(obj, 1, "spec", "replicas")
		if err != nil {
			return 0, err
		}
		perPod, err := templateGPUs(obj)
		return replicas * perPod, err
	case jobs:
		return jobGPUs(obj)
	case pods:
		var spec corev1.PodSpec
		if err := convertField(obj, &spec, "spec"); err != nil {
			return 0, err
		}
		return podGPUs(&spec), nil
	case inferenceServices:
		return inferenceServiceGPUs(obj, runtimes)
	}
	return 0, nil
}

// jobGPUs is what a Job's pods running at once request: parallelism (default 1) pods, fewer when completions
// asks for fewer.
func jobGPUs(obj *unstructured.Unstructured) (int64, error) {
	parallelism, err := optionalInt(obj, 1, "spec", "parallelism")
	if err != nil {
		return 0, err
	}
	completions, err := optionalInt(obj, parallelism, "spec", "completions")
	if err != nil {
		return 0, err
	}
	perPod, err := templateGPUs(obj)
	return min(parallelism, completions) * perPod, err
}

// inferenceServiceGPUs is what the serving operator runs for an InferenceService: minReplicas (default 1) pods
// whose server has the predictor's resources, or when it sets none those of the namespace's ServingRuntime it
// names.
func inferenceServiceGPUs(obj *unstructured.Unstructured, runtimes map[string]*unstructured.Unstructured) (int64, error) {
	var isvc servingv1alpha1.InferenceService
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &isvc); err != nil {
		return 0, err
	}
	replicas := int64(1)
	if m := isvc.Spec.Predictor.MinReplicas; m != nil {
		replicas = int64(*m)
	}
	resources := isvc.Spec.Predictor.Model.Resources
	if len(resources.Requests) == 0 && len(resources.Limits) == 0 {
		rt, ok := runtimes[obj.GetNamespace()+"/"+isvc.Spec.Predictor.Model.Runtime]
		if !ok {
			return 0, nil // a built-in runtime, or an auto-selected one: Gantry's request no GPUs
		}
		var spec servingv1alpha1.ServingRuntimeSpec
		if err := convertField(rt, &spec, "spec"); err != nil {
			return 0, fmt.Errorf("its ServingRuntime %s: %w", rt.GetName(), err)
		}
		resources = spec.Resources
	}
	return replicas * computev1alpha1.RequestedGPUs(resources), nil
}

// templateGPUs is the number of GPUs one pod of an object's spec.template requests.
func templateGPUs(obj *unstructured.Unstructured) (int64, error) {
	var spec corev1.PodSpec
	if err := convertField(obj, &spec, "spec", "template", "spec"); err != nil {
		return 0, err
	}
	return podGPUs(&spec), nil
}

// podGPUs is the number of GPUs a pod requests: its containers' together, or its largest init container's when
// that is more (init containers run one at a time, before the others).
func podGPUs(spec *corev1.PodSpec) int64 {
	var sum, initMax int64
	for _, c := range spec.Containers {
		sum += computev1alpha1.RequestedGPUs(c.Resources)
	}
	for _, c := range spec.InitContainers {
		initMax = max(initMax, computev1alpha1.RequestedGPUs(c.Resources))
	}
	return max(sum, initMax)
}

// convertField decodes the field at path of obj into out; a missing field leaves out empty.
func convertField(obj *unstructured.Unstructured, out interface{}, path ...string) error {
	field, found, err := unstructured.NestedMap(obj.Object, path...)
	if err != nil || !found {
		return err
	}
	return runtime.DefaultUnstructuredConverter.FromUnstructured(field, out)
}

// optionalInt reads an integer field, def when it is unset or null.
func optionalInt(obj *unstructured.Unstructured, def int64, path ...string) (int64, error) {
	v, found, err := unstructured.NestedFieldNoCopy(obj.Object, path...)
	if err != nil || !found || v == nil {
		return def, err
	}
	n, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("%s is %T, not an integer", strings.Join(path, "."), v)
	}
	return n, nil
}

// placedGPUs is the number of GPUs the placed objects of the namespaces a Placement owns request (a namespace
// belongs to the oldest Placement that selects it). It lists each GPU-requesting placed resource of the workspace
// once.
func (c *Controller) placedGPUs(ctx context.Context, cluster logicalcluster.Name, p *computev1alpha1.Placement) (int64, error) {
	owned := map[string]bool{}
	for _, ns := range c.ownedNamespaces(cluster, p) {
		owned[ns.Name] = true
	}
	if len(owned) == 0 {
		return 0, nil
	}
	client, err := c.config.Clients.Dynamic(string(cluster))
	if err != nil {
		return 0, err
	}
	var objects []placedObject
	for _, gvr := range PlacedResources(c.config.CRDs, cluster) {
		resource := gvr.GroupResource()
		if !requestsGPUs(resource) && resource != servingRuntimes {
			continue
		}
		placeable, err := listPlaceable(ctx, client.Resource(gvr), gvr.Resource)
		if err != nil {
			return 0, fmt.Errorf("listing %s: %w", resource, err)
		}
		for _, obj := range placeable {
			if owned[obj.GetNamespace()] {
				objects = append(objects, placedObject{resource: resource, object: obj})
			}
		}
	}
	return gpuDemand(objects)
}
