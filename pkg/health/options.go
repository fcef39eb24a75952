package health

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

// DefaultStartupBudget is how long a pod may take to become ready when Options.StartupBudget is zero. Model servers
// load weights before they answer their readiness probe, which takes minutes for a large model.
const DefaultStartupBudget = 10 * time.Minute

// DefaultGPUResource is the extended resource GPU pods request (NVIDIA's device plugin).
const DefaultGPUResource = computev1alpha1.GPUResource

// Options are the inputs of the rules beyond the objects themselves.
type Options struct {
	// Cluster names the compute cluster, copied into every Component; empty when there is only one.
	Cluster string
	// DeploymentName names the Deployment's component when the Deployment is missing.
	DeploymentName string
	// StartupBudget is how long a pod may stay not ready, after it started or last lost readiness, before it is
	// Degraded with StartupTimeout; the runtime's startup budget. Zero means DefaultStartupBudget.
	StartupBudget time.Duration
	// Clock tells the time the budget is measured against; nil means the real clock. Tests pass a fake one.
	Clock clock.PassiveClock
	// GPUResource is the resource name whose shortage makes an unschedulable pod InsufficientGPU; empty means
	// DefaultGPUResource.
	GPUResource corev1.ResourceName
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	if o.StartupBudget <= 0 {
		o.StartupBudget = DefaultStartupBudget
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.GPUResource == "" {
		o.GPUResource = DefaultGPUResource
	}
	return o
}
