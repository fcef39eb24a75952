package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ModelFormatName is the serialization a model's files are in. The list is closed so that a typo is refused at
// admission instead of leaving a service that no runtime can load.
// +kubebuilder:validation:Enum=pytorch;safetensors;onnx;gguf;tensorflow;sklearn;xgboost;lightgbm;huggingface
type ModelFormatName string

// The model formats Gantry knows.
const (
	// FormatPyTorch is a TorchScript or pickled PyTorch model.
	FormatPyTorch ModelFormatName = "pytorch"
	// FormatSafetensors is a set of safetensors weights (with a config), as LLM servers load them.
	FormatSafetensors ModelFormatName = "safetensors"
	// FormatONNX is an ONNX graph.
	FormatONNX ModelFormatName = "onnx"
	// FormatGGUF is a llama.cpp GGUF file.
	FormatGGUF ModelFormatName = "gguf"
	// FormatTensorFlow is a TensorFlow SavedModel.
	FormatTensorFlow ModelFormatName = "tensorflow"
	// FormatSKLearn is a pickled or joblib scikit-learn estimator.
	FormatSKLearn ModelFormatName = "sklearn"
	// FormatXGBoost is an XGBoost booster.
	FormatXGBoost ModelFormatName = "xgboost"
	// FormatLightGBM is a LightGBM booster.
	FormatLightGBM ModelFormatName = "lightgbm"
	// FormatHuggingFace is a Hugging Face model repository (hf:// URI or a snapshot of one).
	FormatHuggingFace ModelFormatName = "huggingface"
)

// ModelStage is where in its lifecycle a model version is, as MLflow's registry names the stages.
// +kubebuilder:validation:Enum=None;Staging;Production;Archived
type ModelStage string

// The stages of a model version.
const (
	// StageNone is a registered version that is in no stage yet (the default).
	StageNone ModelStage = "None"
	// StageStaging is a version under test.
	StageStaging ModelStage = "Staging"
	// StageProduction is the version production services follow; at most one version of a Model is in it.
	StageProduction ModelStage = "Production"
	// StageArchived is a retired version.
	StageArchived ModelStage = "Archived"
)

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,categories=gantry;serving
// +kubebuilder:printcolumn:name="Format",type=string,JSONPath=`.spec.format`
// +kubebuilder:printcolumn:name="Latest",type=string,JSONPath=`.spec.versions[-1:].name`,description="The last version listed"
// +kubebuilder:printcolumn:name="Production",type=string,JSONPath=`.spec.versions[?(@.stage=="Production")].name`,description="The version in stage Production"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// Model is a registry entry: one model in one format, with its versions and the stage each is in. An
// InferenceService follows a Model by spec.predictor.model.modelRef, naming a version or a stage.
type Model struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the model's format and versions.
	Spec ModelSpec `json:"spec"`
}

// ModelSpec is a model's format and versions.
type ModelSpec struct {
	// Format is the serialization every version of the model is in.
	Format ModelFormatName `json:"format"`
	// Versions are the model's versions, oldest first: the last one listed is the latest. Version names are unique
	// (the list is a map keyed by name) and at most one version is in stage Production.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	// +kubebuilder:validation:XValidation:rule="self.filter(v, has(v.stage) && v.stage == 'Production').size() <= 1",message="at most one version may be in stage Production: move the current Production version to Staging or Archived first"
	// +optional
	Versions []ModelVersion `json:"versions,omitempty"`
}

// ModelVersion is one version of a model: where its files are and which stage it is in.
type ModelVersion struct {
	// Name identifies the version within its Model (such as v1 or 2024-06-01).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`
	Name string `json:"name"`
	// StorageURI is where the version's files are (s3://, gs://, hf://, pvc://, https://), passed to the runtime
	// the way KServe's storage initializer expects.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	StorageURI string `json:"storageUri"`
	// Runtime is the ServingRuntime this version is best served by, a hint used when an InferenceService names none.
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Runtime string `json:"runtime,omitempty"`
	// Stage is where the version is in its lifecycle. Default: None.
	// +kubebuilder:default=None
	// +optional
	Stage ModelStage `json:"stage,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true

// ModelList is a list of Models.
type ModelList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Models.
	Items []Model `json:"items"`
}
