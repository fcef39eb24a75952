package syncer

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	apiresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

const (
	// GPUResource is the extended resource NVIDIA's device plugin advertises.
	GPUResource = computev1alpha1.GPUResource
	// GPUProductLabel is the node label (from NVIDIA's GPU feature discovery) naming a node's GPU model.
	GPUProductLabel = computev1alpha1.GPUProductLabel
)

// activePods is the field selector of the pods that may hold GPUs: bound to a node and not terminated.
const activePods = "spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed"

// TrimPod keeps of a pod (an informer transform) only what ComputeFuel reads: name, namespace, node, phase and the
// GPU requests and limits of its containers, so that the syncer's pod cache stays small on a busy cluster.
func TrimPod(obj interface{}) (interface{}, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil
	}
	trim := func(in []corev1.Container) []corev1.Container {
		out := make([]corev1.Container, 0, len(in))
		for _, c := range in {
			r := corev1.ResourceRequirements{}
			if q, ok := c.Resources.Requests[GPUResource]; ok {
				r.Requests = corev1.ResourceList{GPUResource: q}
			}
			if q, ok := c.Resources.Limits[GPUResource]; ok {
				r.Limits = corev1.ResourceList{GPUResource: q}
			}
			out = append(out, corev1.Container{Name: c.Name, Resources: r})
		}
		return out
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion},
		Spec:       corev1.PodSpec{NodeName: p.Spec.NodeName, Containers: trim(p.Spec.Containers), InitContainers: trim(p.Spec.InitContainers)},
		Status:     corev1.PodStatus{Phase: p.Status.Phase},
	}, nil
}

// fuelResources are the resources summed into capacity and allocatable.
var fuelResources = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, GPUResource}

// Fuel is what a downstream cluster offers: the SyncTarget status's capacity, allocatable and gpus.
type Fuel struct {
	// Capacity is cpu, memory and nvidia.com/gpu summed over the nodes' capacity.
	Capacity corev1.ResourceList
	// Allocatable is the same over the nodes' allocatable.
	Allocatable corev1.ResourceList
	// GPUs has one row per GPU product, sorted by product.
	GPUs []computev1alpha1.GPUUsage
}

// ComputeFuel sums nodes and the GPU requests of pods. A pod counts while it is bound to a node and has not
// terminated (Succeeded or Failed): a terminating pod still holds its GPUs. Nodes without the product label count
// in capacity and allocatable but in no GPU row.
func ComputeFuel(nodes []*corev1.Node, pods []*corev1.Pod) Fuel {
	f := Fuel{Capacity: corev1.ResourceList{}, Allocatable: corev1.ResourceList{}}
	rows := map[string]*computev1alpha1.GPUUsage{}
	productOf := map[string]string{}
	for _, n := range nodes {
		addResources(f.Capacity, n.Status.Capacity)
		addResources(f.Allocatable, n.Status.Allocatable)
		product := n.Labels[GPUProductLabel]
		if product == "" {
			continue
		}
		productOf[n.Name] = product
		row := rows[product]
		if row == nil {
			row = &computev1alpha1.GPUUsage{Product: product}
			rows[product] = row
		}
		row.Capacity += quantity(n.Status.Capacity, GPUResource)
		row.Allocatable += quantity(n.Status.Allocatable, GPUResource)
	}
	for _, p := range pods {
		product, ok := productOf[p.Spec.NodeName]
		if !ok || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		rows[product].Requested += PodGPUs(p)
	}
	f.GPUs = make([]computev1alpha1.GPUUsage, 0, len(rows))
	for _, row := range rows {
		f.GPUs = append(f.GPUs, *row)
	}
	sort.Slice(f.GPUs, func(i, j int) bool { return f.GPUs[i].Product < f.GPUs[j].Product })
	return f
}

// PodGPUs is how many GPUs a pod holds, as the scheduler counts them: the larger of its containers' sum and its
// largest init container, each container's request or, without one, its limit (which the API server then copies
// into the request anyway).
func PodGPUs(p *corev1.Pod) int64 {
	var sum, initMax int64
	for _, c := range p.Spec.Containers {
		sum += containerGPUs(c)
	}
	for _, c := range p.Spec.InitContainers {
		if n := containerGPUs(c); n > initMax {
			initMax = n
		}
	}
	return max(sum, initMax)
}

func containerGPUs(c corev1.Container) int64 { return computev1alpha1.RequestedGPUs(c.Resources) }

func quantity(list corev1.ResourceList, name corev1.ResourceName) int64 {
	q, ok := list[name]
	if !ok {
		return 0
	}
	return q.Value()
}

// addResources adds the fuel resources of from into to.
func addResources(to, from corev1.ResourceList) {
	for _, name := range fuelResources {
		q, ok := from[name]
		if !ok {
			continue
		}
		sum := to[name]
		if sum.Format == "" {
			sum = apiresource.Quantity{Format: q.Format}
		}
		sum.Add(q)
		to[name] = sum
	}
}
