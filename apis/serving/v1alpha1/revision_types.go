package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Namespaced,shortName=isvcrev,categories=gantry;serving
// +kubebuilder:printcolumn:name="Service",type=string,JSONPath=`.spec.serviceName`
// +kubebuilder:printcolumn:name="Revision",type=integer,JSONPath=`.spec.revision`
// +kubebuilder:printcolumn:name="Model",type=string,JSONPath=`.spec.resolvedModel.version`
// +kubebuilder:printcolumn:name="Cause",type=string,JSONPath=`.spec.cause`
// +kubebuilder:printcolumn:name="Author",type=string,JSONPath=`.spec.author`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// InferenceServiceRevision records one spec of an InferenceService, immutably: the whole predictor, the model
// version it resolved to, who changed it, when and why. Rollback copies a revision's predictor back.
type InferenceServiceRevision struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the recorded spec; it cannot change once created.
	Spec InferenceServiceRevisionSpec `json:"spec"`
}

// InferenceServiceRevisionSpec is one recorded spec of an InferenceService.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="an InferenceServiceRevision is immutable: record a new revision instead"
type InferenceServiceRevisionSpec struct {
	// ServiceName is the InferenceService recorded, in the same namespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ServiceName string `json:"serviceName"`
	// Revision is the revision's number, counting from 1 per service.
	// +kubebuilder:validation:Minimum=1
	Revision int64 `json:"revision"`
	// Predictor is the service's whole predictor spec at this revision.
	Predictor PredictorSpec `json:"predictor"`
	// ResolvedModel is the model version the predictor resolved to.
	// +optional
	ResolvedModel *ResolvedModel `json:"resolvedModel,omitempty"`
	// Author is the user who made the change.
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Author string `json:"author,omitempty"`
	// ChangeTime is when the change was made.
	// +optional
	ChangeTime *metav1.Time `json:"changeTime,omitempty"`
	// Cause says why the spec changed: "spec changed", "model promoted: v2 to Production",
	// "promoted from root:org:staging", "rollback to 3".
	// +kubebuilder:validation:MaxLength=1024
	// +optional
	Cause string `json:"cause,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object
// +kubebuilder:object:root=true

// InferenceServiceRevisionList is a list of InferenceServiceRevisions.
type InferenceServiceRevisionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the InferenceServiceRevisions.
	Items []InferenceServiceRevision `json:"items"`
}
