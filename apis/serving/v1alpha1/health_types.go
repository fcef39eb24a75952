package v1alpha1

// HealthState is a service's, a component's or a container's health in one word.
// +kubebuilder:validation:Enum=Healthy;Progressing;Degraded;Suspended;Missing;Unknown
type HealthState string

// The health states. pkg/health documents the order in which the worst state wins.
const (
	// HealthHealthy: everything asked for runs and is ready.
	HealthHealthy HealthState = "Healthy"
	// HealthProgressing: moving towards Healthy (rolling out, loading weights) within its budget.
	HealthProgressing HealthState = "Progressing"
	// HealthDegraded: failing and needing attention (crash loop, image pull, OOM, not enough GPUs).
	HealthDegraded HealthState = "Degraded"
	// HealthSuspended: scaled to zero on purpose.
	HealthSuspended HealthState = "Suspended"
	// HealthMissing: an object that should exist does not.
	HealthMissing HealthState = "Missing"
	// HealthUnknown: no data yet.
	HealthUnknown HealthState = "Unknown"
)

// Health is a health state with why.
type Health struct {
	// State is the health in one word.
	// +optional
	State HealthState `json:"state,omitempty"`
	// Reason is the cause in one CamelCase word (InsufficientGPU, CrashLoopBackOff, OOMKilled, ...).
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message says what is wrong, naming the component and cluster, and what to do.
	// +optional
	Message string `json:"message,omitempty"`
}

// ComponentHealth is the health of one downstream object of a service (a Deployment, a Service) on one cluster,
// with its children. The tree has a fixed depth, component > child (pod) > grandchild (container), because CRD
// schemas cannot be recursive.
type ComponentHealth struct {
	// Kind is the object's kind, such as Deployment.
	Kind string `json:"kind"`
	// Name is the object's name downstream.
	Name string `json:"name"`
	// Cluster is the compute cluster (SyncTarget) the object runs on.
	// +optional
	Cluster string `json:"cluster,omitempty"`
	// Health is the object's own health.
	// +optional
	Health Health `json:"health,omitempty"`
	// Children are its pods.
	// +listType=atomic
	// +optional
	Children []ChildHealth `json:"children,omitempty"`
}

// ChildHealth is the health of an object a component owns (a pod), with its own children (containers).
type ChildHealth struct {
	// Kind is the object's kind, such as Pod.
	Kind string `json:"kind"`
	// Name is the object's name.
	Name string `json:"name"`
	// Health is the object's health.
	// +optional
	Health Health `json:"health,omitempty"`
	// Children are its containers.
	// +listType=atomic
	// +optional
	Children []LeafHealth `json:"children,omitempty"`
}

// LeafHealth is the health of the last level of the tree (a container).
type LeafHealth struct {
	// Kind is the part's kind, such as Container.
	Kind string `json:"kind"`
	// Name is the part's name.
	Name string `json:"name"`
	// Health is the part's health.
	// +optional
	Health Health `json:"health,omitempty"`
}

// ClusterHealth is a service's health and replicas on one compute cluster.
type ClusterHealth struct {
	// Name is the compute cluster (SyncTarget).
	Name string `json:"name"`
	// Health is the service's health on that cluster.
	// +optional
	Health Health `json:"health,omitempty"`
	// ReadyReplicas is the number of ready replicas there.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// Replicas is the number of desired replicas there.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
}
