package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Protocol is the inference API a runtime's server speaks.
// +kubebuilder:validation:Enum=v2;openai
type Protocol string

// The inference protocols.
const (
	// ProtocolV2 is the Open Inference Protocol v2 (KServe, Triton): health at /v2/health/ready and /v2/health/live.
	ProtocolV2 Protocol = "v2"
	// ProtocolOpenAI is the OpenAI-compatible HTTP API (vLLM, llama.cpp): /v1/completions, /v1/chat/completions.
	ProtocolOpenAI Protocol = "openai"
)

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,categories=gantry;serving
// +kubebuilder:printcolumn:name="Protocol",type=string,JSONPath=`.spec.protocol`
// +kubebuilder:printcolumn:name="GPU",type=boolean,JSONPath=`.spec.gpu`
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.spec.image`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ServingRuntime is a model server: the container that loads a model of the formats it supports and answers
// inference requests over its protocol.
//
// An InferenceService names its runtime by name (spec.predictor.model.runtime). The name is resolved in this order:
// a ServingRuntime of that name in the service's own namespace, else the built-in runtime of that name, which Gantry
// publishes from config/serving/runtimes in the provider workspace root:serving.
type ServingRuntime struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the runtime's container and what it can serve.
	Spec ServingRuntimeSpec `json:"spec"`
}

// ServingRuntimeSpec is a runtime's container and what it can serve.
type ServingRuntimeSpec struct {
	// SupportedModelFormats are the formats the runtime loads.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=32
	SupportedModelFormats []SupportedModelFormat `json:"supportedModelFormats"`
	// Image is the container image of the server.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Image string `json:"image"`
	// Command replaces the image's entrypoint.
	// +listType=atomic
	// +optional
	Command []string `json:"command,omitempty"`
	// Args are the server's arguments.
	// +listType=atomic
	// +optional
	Args []string `json:"args,omitempty"`
	// Env are extra environment variables of the server.
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
	// Port is the HTTP port the server listens on. Default: 8080.
	// +kubebuilder:default=8080
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`
	// Protocol is the inference API the server speaks; it decides the health endpoints probed.
	Protocol Protocol `json:"protocol"`
	// GPU says whether the server can use nvidia.com/gpu. A service asking for GPUs needs a runtime that can.
	// Default: false.
	// +kubebuilder:default=false
	// +optional
	GPU bool `json:"gpu,omitempty"`
	// Resources are the server's default requests and limits, used where the InferenceService sets none.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
	// StartupBudgetSeconds is how long a replica may take to become ready (loading weights) before its service is
	// reported Degraded instead of Progressing. Default: 600 when unset.
	// +kubebuilder:validation:Minimum=1
	// +optional
	StartupBudgetSeconds *int32 `json:"startupBudgetSeconds,omitempty"`
}

// SupportedModelFormat is one format a runtime loads.
type SupportedModelFormat struct {
	// Name is the format.
	Name ModelFormatName `json:"name"`
	// Version is the format's version the runtime supports (such as 1 or 2), if it matters.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Version string `json:"version,omitempty"`
	// AutoSelect lets the runtime be chosen for a service of this format that names no runtime.
	// +optional
	AutoSelect *bool `json:"autoSelect,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true

// ServingRuntimeList is a list of ServingRuntimes.
type ServingRuntimeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the ServingRuntimes.
	Items []ServingRuntime `json:"items"`
}
