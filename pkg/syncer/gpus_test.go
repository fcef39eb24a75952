package syncer

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	apiresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

func node(name, product string, gpus, allocatable int64) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{}}}
	if product != "" {
		n.Labels[GPUProductLabel] = product
	}
	n.Status.Capacity = corev1.ResourceList{corev1.ResourceCPU: apiresource.MustParse("8"), corev1.ResourceMemory: apiresource.MustParse("32Gi"),
		corev1.ResourcePods: apiresource.MustParse("110")}
	n.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: apiresource.MustParse("7500m"), corev1.ResourceMemory: apiresource.MustParse("30Gi")}
	if gpus > 0 {
		n.Status.Capacity[GPUResource] = *apiresource.NewQuantity(gpus, apiresource.DecimalSI)
		n.Status.Allocatable[GPUResource] = *apiresource.NewQuantity(allocatable, apiresource.DecimalSI)
	}
	return n
}

func gpuPod(nodeName string, phase corev1.PodPhase, requests, limits []int64) *corev1.Pod {
	p := &corev1.Pod{Spec: corev1.PodSpec{NodeName: nodeName}, Status: corev1.PodStatus{Phase: phase}}
	for i := range requests {
		c := corev1.Container{Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}}
		if requests[i] >= 0 {
			c.Resources.Requests[GPUResource] = *apiresource.NewQuantity(requests[i], apiresource.DecimalSI)
		}
		if limits[i] >= 0 {
			c.Resources.Limits[GPUResource] = *apiresource.NewQuantity(limits[i], apiresource.DecimalSI)
		}
		p.Spec.Containers = append(p.Spec.Containers, c)
	}
	return p
}

func TestComputeFuel(t *testing.T) {
	nodes := []*corev1.Node{
		node("h1", "H100", 8, 8), node("h2", "H100", 8, 7), node("a1", "A100", 4, 4), node("cpu", "", 0, 0),
	}
	pods := []*corev1.Pod{
		gpuPod("h1", corev1.PodRunning, []int64{2}, []int64{2}),
		gpuPod("h2", corev1.PodPending, []int64{-1, 1}, []int64{3, 1}), // no request: the limit counts
		gpuPod("h2", corev1.PodSucceeded, []int64{4}, []int64{4}),      // terminated: not counted
		gpuPod("h1", corev1.PodFailed, []int64{1}, []int64{1}),         // terminated: not counted
		gpuPod("", corev1.PodPending, []int64{8}, []int64{8}),          // unscheduled: no node, not counted
		gpuPod("cpu", corev1.PodRunning, []int64{1}, []int64{1}),       // a node without a product: no row
		gpuPod("a1", corev1.PodRunning, []int64{0}, []int64{0}),
	}
	f := ComputeFuel(nodes, pods)
	assert.Equal(t, []computev1alpha1.GPUUsage{
		{Product: "A100", Capacity: 4, Allocatable: 4, Requested: 0},
		{Product: "H100", Capacity: 16, Allocatable: 15, Requested: 6},
	}, f.GPUs)
	cpu, mem, gpu := f.Capacity[corev1.ResourceCPU], f.Capacity[corev1.ResourceMemory], f.Capacity[GPUResource]
	assert.Equal(t, "32", cpu.String())
	assert.Equal(t, "128Gi", mem.String())
	assert.Equal(t, int64(20), gpu.Value())
	acpu, agpu := f.Allocatable[corev1.ResourceCPU], f.Allocatable[GPUResource]
	assert.Equal(t, "30", acpu.String())
	assert.Equal(t, int64(19), agpu.Value())
	_, hasPods := f.Capacity[corev1.ResourcePods]
	assert.False(t, hasPods, "only cpu, memory and GPUs are summed")
}

func TestComputeFuelEmpty(t *testing.T) {
	f := ComputeFuel(nil, nil)
	assert.Empty(t, f.GPUs)
	assert.NotNil(t, f.GPUs, "an empty list, so that the patch clears rows that went away")
	assert.Empty(t, f.Capacity)
}

func TestPodGPUsInitContainers(t *testing.T) {
	p := gpuPod("n", corev1.PodRunning, []int64{1, 1}, []int64{1, 1})
	p.Spec.InitContainers = []corev1.Container{{Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{GPUResource: apiresource.MustParse("4")}}}}
	assert.Equal(t, int64(4), PodGPUs(p), "the largest init container wins over the containers' sum")
	p.Spec.InitContainers[0].Resources.Limits[GPUResource] = apiresource.MustParse("1")
	assert.Equal(t, int64(2), PodGPUs(p))
}

func TestTrimPodKeepsTheFuel(t *testing.T) {
	p := gpuPod("h1", corev1.PodRunning, []int64{2, -1}, []int64{2, 3})
	p.Name, p.Namespace = "train", "ml"
	p.Annotations = map[string]string{"big": "annotation"}
	p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = apiresource.MustParse("4")
	p.Spec.Containers[0].Image = "trainer"
	trimmed, err := TrimPod(p)
	assert.NoError(t, err)
	tp := trimmed.(*corev1.Pod)
	assert.Equal(t, PodGPUs(p), PodGPUs(tp))
	assert.Equal(t, "h1", tp.Spec.NodeName)
	assert.Equal(t, corev1.PodRunning, tp.Status.Phase)
	assert.Equal(t, "ml/train", tp.Namespace+"/"+tp.Name)
	assert.Empty(t, tp.Annotations)
	assert.Empty(t, tp.Spec.Containers[0].Image)
	_, hasCPU := tp.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU]
	assert.False(t, hasCPU)
}
