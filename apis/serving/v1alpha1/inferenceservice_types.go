package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=isvc,categories=gantry;serving
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Health",type=string,JSONPath=`.status.health.state`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.health.reason`
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.status.model`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.ready`
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// InferenceService serves one model on a compute cluster, in KServe's shape: a predictor running a model of a
// format on a runtime. Gantry adds modelRef (follow a Model's version or stage), a GPU product preference, a
// one-word health and the history of its spec (InferenceServiceRevisions).
type InferenceService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the model to serve and how.
	Spec InferenceServiceSpec `json:"spec"`
	// Status is what the serving operator and the control plane observed.
	// +optional
	Status InferenceServiceStatus `json:"status,omitempty"`
}

// InferenceServiceSpec is the model to serve and how.
type InferenceServiceSpec struct {
	// Predictor is the component that serves the model.
	Predictor PredictorSpec `json:"predictor"`
	// RevisionHistoryLimit is how many InferenceServiceRevisions of the service are kept, the newest. Default: 10.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
}

// PredictorSpec is the component that serves the model: its model, replicas and GPU preference.
// +kubebuilder:validation:XValidation:rule="!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas",message="minReplicas must not be greater than maxReplicas"
type PredictorSpec struct {
	// Model is the model served and the runtime serving it.
	Model PredictorModel `json:"model"`
	// MinReplicas is the least number of replicas. Default: 1.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`
	// MaxReplicas is the most replicas the service may scale to. Unset means minReplicas.
	// +kubebuilder:validation:Minimum=0
	// +optional
	MaxReplicas *int32 `json:"maxReplicas,omitempty"`
	// GPUProduct is the preferred GPU (the node label nvidia.com/gpu.product, such as NVIDIA-H100-80GB-HBM3).
	// +kubebuilder:validation:MaxLength=253
	// +optional
	GPUProduct string `json:"gpuProduct,omitempty"`
}

// PredictorModel is the model a predictor serves: given directly (storageUri and modelFormat) or by reference to a
// Model (modelRef), and the runtime that serves it.
// +kubebuilder:validation:XValidation:rule="has(self.storageUri) != has(self.modelRef)",message="set exactly one of storageUri (the model's files) or modelRef (a registered Model)"
// +kubebuilder:validation:XValidation:rule="!has(self.storageUri) || has(self.modelFormat)",message="a model given by storageUri needs modelFormat.name (such as onnx or safetensors)"
type PredictorModel struct {
	// ModelFormat is the model's format. With modelRef it defaults to the Model's format and must match it.
	// +optional
	ModelFormat *ModelFormat `json:"modelFormat,omitempty"`
	// Runtime names the ServingRuntime: one in the service's namespace, else the built-in of that name. Unset: the
	// model version's runtime hint, else a runtime that auto-selects the format.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Runtime string `json:"runtime,omitempty"`
	// StorageURI is where the model's files are (s3://, gs://, hf://, pvc://, https://).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +optional
	StorageURI *string `json:"storageUri,omitempty"`
	// ModelRef follows a registered Model, at a fixed version or at whichever version is in a stage.
	// +optional
	ModelRef *ModelReference `json:"modelRef,omitempty"`
	// Resources are the server container's requests and limits; nvidia.com/gpu asks for GPUs. Unset: the runtime's.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitempty"`
}

// ModelFormat is a model's format and, optionally, its version.
type ModelFormat struct {
	// Name is the format.
	Name ModelFormatName `json:"name"`
	// Version is the format's version, if it matters to the runtime.
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Version *string `json:"version,omitempty"`
}

// ModelReference follows a Model in the service's namespace, at a version or at a stage.
// +kubebuilder:validation:XValidation:rule="has(self.version) != has(self.stage)",message="set exactly one of version (a fixed version) or stage (follow the version in Staging or Production)"
type ModelReference struct {
	// Name is the Model's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Version is a version of the Model, by name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +optional
	Version string `json:"version,omitempty"`
	// Stage follows whichever version of the Model is in this stage: the service rolls when another version is
	// promoted to it.
	// +optional
	Stage FollowedStage `json:"stage,omitempty"`
}

// FollowedStage is a stage an InferenceService may follow: a ModelStage in which a version is meant to be served.
// +kubebuilder:validation:Enum=Staging;Production
type FollowedStage string

// The stages a service may follow.
const (
	// FollowStaging follows the Model's versions in Staging (the last one listed, if several are).
	FollowStaging = FollowedStage(StageStaging)
	// FollowProduction follows the Model's version in Production.
	FollowProduction = FollowedStage(StageProduction)
)

// The condition types of an InferenceService, as KServe names them.
const (
	// ConditionPredictorReady is True when the predictor's replicas are ready on every cluster it runs on.
	ConditionPredictorReady = "PredictorReady"
	// ConditionReady is True when the service answers at its URL.
	ConditionReady = "Ready"
)

// TransitionStatus is where a service is in moving to the model its spec asks for, as KServe's modelStatus names it.
// +kubebuilder:validation:Enum=UpToDate;InProgress;BlockedByFailedLoad;InvalidSpec
type TransitionStatus string

// The transition states.
const (
	// TransitionUpToDate: the requested model is served.
	TransitionUpToDate TransitionStatus = "UpToDate"
	// TransitionInProgress: the requested model is being loaded.
	TransitionInProgress TransitionStatus = "InProgress"
	// TransitionBlockedByFailedLoad: the requested model failed to load; lastFailureInfo says why.
	TransitionBlockedByFailedLoad TransitionStatus = "BlockedByFailedLoad"
	// TransitionInvalidSpec: the spec cannot be served (a missing model, version or runtime); lastFailureInfo says why.
	TransitionInvalidSpec TransitionStatus = "InvalidSpec"
)

// InferenceServiceStatus is what the serving operator and the control plane observed about a service.
type InferenceServiceStatus struct {
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// URL is where the service answers inference requests.
	// +optional
	URL string `json:"url,omitempty"`
	// Conditions are PredictorReady and Ready.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ModelStatus is the progress towards the requested model and the last failure.
	// +optional
	ModelStatus ModelStatus `json:"modelStatus,omitempty"`
	// Health is the service's health in one word, the worst of its components' and clusters'.
	// +optional
	Health Health `json:"health,omitempty"`
	// Components are the service's downstream objects (Deployment, Service), each with its health and its pods'.
	// +listType=atomic
	// +optional
	Components []ComponentHealth `json:"components,omitempty"`
	// Clusters has one row per compute cluster the service runs on.
	// +listType=map
	// +listMapKey=name
	// +optional
	Clusters []ClusterHealth `json:"clusters,omitempty"`
	// Revision is the number of the InferenceServiceRevision recording the current spec.
	// +optional
	Revision int64 `json:"revision,omitempty"`
	// ResolvedModel is the model the spec resolved to: modelRef's version or stage, or storageUri itself.
	// +optional
	ResolvedModel *ResolvedModel `json:"resolvedModel,omitempty"`
	// Model is the resolved model as "name:version" (or the storage URI), for kubectl get.
	// +optional
	Model string `json:"model,omitempty"`
	// Ready is "readyReplicas/replicas", for kubectl get.
	// +optional
	Ready string `json:"ready,omitempty"`
	// ReadyReplicas is the number of ready replicas over all clusters.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`
	// Replicas is the number of desired replicas over all clusters.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`
}

// ModelStatus is the progress towards the requested model, as KServe's modelStatus names it.
type ModelStatus struct {
	// TransitionStatus is where the service is in moving to the requested model.
	// +optional
	TransitionStatus TransitionStatus `json:"transitionStatus,omitempty"`
	// LastFailureInfo is the last failure to resolve or load the model.
	// +optional
	LastFailureInfo *FailureInfo `json:"lastFailureInfo,omitempty"`
}

// FailureInfo is a failure to resolve or load a model.
type FailureInfo struct {
	// Reason is the failure in one CamelCase word (ModelNotFound, VersionNotFound, RuntimeNotFound, ModelLoadFailed).
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message says what failed and what to fix.
	// +optional
	Message string `json:"message,omitempty"`
	// Time is when it failed.
	// +optional
	Time *metav1.Time `json:"time,omitempty"`
}

// ResolvedModel is the model version a spec resolved to.
type ResolvedModel struct {
	// Name is the Model's name; empty for a service given by storageUri.
	// +optional
	Name string `json:"name,omitempty"`
	// Version is the Model version's name; empty for a service given by storageUri.
	// +optional
	Version string `json:"version,omitempty"`
	// StorageURI is where the files are.
	// +optional
	StorageURI string `json:"storageUri,omitempty"`
	// Format is the model's format.
	// +optional
	Format ModelFormatName `json:"format,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true

// InferenceServiceList is a list of InferenceServices.
type InferenceServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the InferenceServices.
	Items []InferenceService `json:"items"`
}
