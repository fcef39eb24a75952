package kubecluster

import (
	"context"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// GPUResource is the extended resource NVIDIA's device plugin advertises, and that GPU pods request.
const GPUResource corev1.ResourceName = "nvidia.com/gpu"

// GPUProductLabel is the node label that names the GPU model, as NVIDIA's GPU feature discovery sets it.
const GPUProductLabel = "nvidia.com/gpu.product"

// AddGPUNode creates a fake node that kwok keeps Ready, with 64 CPUs, 512Gi of memory, 110 pods and gpus GPUs of
// the given product in capacity and allocatable, and waits until it is Ready.
func (c *Cluster) AddGPUNode(t testing.TB, name, product string, gpus int) *corev1.Node {
	t.Helper()
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		t.Fatalf("kubecluster: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	want := gpuNode(name, product, gpus)
	node, err := cs.CoreV1().Nodes().Create(ctx, want, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kubecluster: create node %s: %v", name, err)
	}
	if _, ok := node.Status.Allocatable[GPUResource]; !ok {
		// Status written on create did not stick: set it through the status subresource.
		node.Status = want.Status
		if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("kubecluster: set status of node %s: %v", name, err)
		}
	}
	err = poll(ctx, c.kwok, "node "+name+" to be Ready", func() bool {
		node, err = cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		return err == nil && nodeReady(node)
	})
	if err != nil {
		t.Fatalf("kubecluster: %v", err)
	}
	return node
}

func gpuNode(name, product string, gpus int) *corev1.Node {
	resources := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("512Gi"),
		corev1.ResourcePods:   resource.MustParse("110"),
		GPUResource:           *resource.NewQuantity(int64(gpus), resource.DecimalSI),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			// kwok manages only nodes with this annotation; a zero TTL keeps the node controller from caching.
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
				"type": "kwok", "nvidia.com/gpu.present": "true", GPUProductLabel: product,
				"nvidia.com/gpu.count": strconv.Itoa(gpus),
			},
		},
		Status: corev1.NodeStatus{
			Capacity:    resources,
			Allocatable: resources.DeepCopy(),
			NodeInfo: corev1.NodeSystemInfo{Architecture: "amd64", OperatingSystem: "linux",
				KubeletVersion: "fake"},
		},
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
