package v1alpha1

import corev1 "k8s.io/api/core/v1"

// GPUResource is the extended resource NVIDIA's device plugin advertises: what SyncTargets count as GPUs and what
// GPU workloads request.
const GPUResource corev1.ResourceName = "nvidia.com/gpu"

// GPUProductLabel is the node label (from NVIDIA's GPU feature discovery) naming a node's GPU model.
const GPUProductLabel = "nvidia.com/gpu.product"

// RequestedGPUs is the number of GPUs a container's requirements ask for: the request, else the limit (Kubernetes
// requires them equal for extended resources, and defaults the request to the limit).
func RequestedGPUs(requirements corev1.ResourceRequirements) int64 {
	if q, ok := requirements.Requests[GPUResource]; ok {
		return q.Value()
	}
	if q, ok := requirements.Limits[GPUResource]; ok {
		return q.Value()
	}
	return 0
}
