package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +genclient:nonNamespaced
// +genclient:onlyVerbs=create,get,list,watch,delete,deletecollection
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// APIResourceSchema is an immutable, CRD-like definition of one resource that an APIExport offers. Its name is
// conventionally "<version-or-date>.<plural>.<group>", so that a changed schema is a new object.
type APIResourceSchema struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the resource's definition. It cannot change after creation.
	Spec APIResourceSchemaSpec `json:"spec"`
}

// APIResourceSchemaSpec defines a resource, as a CustomResourceDefinition's spec does.
type APIResourceSchemaSpec struct {
	// Group is the API group of the resource.
	Group string `json:"group"`
	// Names are the resource's plural, singular, kind, list kind, short names and categories.
	Names apiextensionsv1.CustomResourceDefinitionNames `json:"names"`
	// Scope is Namespaced or Cluster.
	Scope apiextensionsv1.ResourceScope `json:"scope"`
	// Versions are the versions of the resource; exactly one is the storage version.
	// +listType=map
	// +listMapKey=name
	Versions []APIResourceVersion `json:"versions"`
}

// APIResourceVersion is one version of a resource.
type APIResourceVersion struct {
	// Name is the version, such as v1alpha1.
	Name string `json:"name"`
	// Served says whether the version is served.
	Served bool `json:"served"`
	// Storage says whether objects are stored in this version. Exactly one version is.
	Storage bool `json:"storage"`
	// Deprecated marks the version deprecated.
	// +optional
	Deprecated bool `json:"deprecated,omitempty"`
	// DeprecationWarning replaces the default deprecation warning.
	// +optional
	DeprecationWarning *string `json:"deprecationWarning,omitempty"`
	// Schema validates, prunes and defaults the objects of this version.
	Schema apiextensionsv1.CustomResourceValidation `json:"schema"`
	// Subresources are the status and scale subresources of this version.
	// +optional
	Subresources apiextensionsv1.CustomResourceSubresources `json:"subresources,omitempty"`
	// AdditionalPrinterColumns are the columns kubectl get shows.
	// +optional
	// +listType=atomic
	AdditionalPrinterColumns []apiextensionsv1.CustomResourceColumnDefinition `json:"additionalPrinterColumns,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// APIResourceSchemaList is a list of APIResourceSchemas.
type APIResourceSchemaList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the APIResourceSchemas.
	Items []APIResourceSchema `json:"items"`
}

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// APIExport offers resources, each defined by an APIResourceSchema of the same workspace, to other workspaces.
// Its identity, the hash of a secret key, goes into the storage keys of every bound object, so two exports of the
// same group and resource never share objects.
type APIExport struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the provider offers.
	// +optional
	Spec APIExportSpec `json:"spec,omitempty"`
	// Status is what the server observed.
	// +optional
	Status APIExportStatus `json:"status,omitempty"`
}

// APIExportSpec is what an APIExport offers.
type APIExportSpec struct {
	// LatestResourceSchemas names the APIResourceSchemas exported, one per group and resource.
	// +optional
	// +listType=set
	LatestResourceSchemas []string `json:"latestResourceSchemas,omitempty"`
	// Identity points at the Secret whose "key" is the export's identity. Empty means the server creates one,
	// gantry-system/<export name>-identity, on first reconcile.
	// +optional
	Identity *Identity `json:"identity,omitempty"`
}

// Identity is where an APIExport's identity key is kept.
type Identity struct {
	// SecretRef is the Secret holding the key under "key".
	// +optional
	SecretRef *corev1.SecretReference `json:"secretRef,omitempty"`
}

// APIExportStatus is the observed state of an APIExport.
type APIExportStatus struct {
	// IdentityHash is the SHA-256 of the identity key, in hex. Bound objects are stored under it.
	// +optional
	IdentityHash string `json:"identityHash,omitempty"`
	// VirtualWorkspaceURL is where the provider's controllers reach every bound object of this export.
	// +optional
	VirtualWorkspaceURL string `json:"virtualWorkspaceURL,omitempty"`
	// Conditions describe the export's state.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// APIExportList is a list of APIExports.
type APIExportList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the APIExports.
	Items []APIExport `json:"items"`
}

// APIBindingPhase is the lifecycle phase of an APIBinding.
type APIBindingPhase string

const (
	// APIBindingPhaseBinding means the binding is not, or not yet, applied.
	APIBindingPhaseBinding APIBindingPhase = "Binding"
	// APIBindingPhaseBound means the export's resources are served in the workspace.
	APIBindingPhaseBound APIBindingPhase = "Bound"
)

// Condition types of an APIBinding.
const (
	// APIBindingReady is True when every resource of the export is served in the workspace.
	APIBindingReady = "Ready"
	// APIBindingNamesAccepted is False when a resource of the export clashes with a CRD or another binding in the
	// workspace; nothing is then served from the binding and nothing already served changes.
	APIBindingNamesAccepted = "NamesAccepted"
)

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// APIBinding makes the resources of an APIExport available in the workspace it is created in.
type APIBinding struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec names the export to bind.
	Spec APIBindingSpec `json:"spec"`
	// Status is what the server observed.
	// +optional
	Status APIBindingStatus `json:"status,omitempty"`
}

// APIBindingSpec names the export to bind.
type APIBindingSpec struct {
	// Reference is the export bound. It cannot change.
	Reference BindingReference `json:"reference"`
}

// BindingReference points at an APIExport.
type BindingReference struct {
	// Export is the APIExport, by workspace path and name.
	Export *ExportBindingReference `json:"export"`
}

// ExportBindingReference names an APIExport by the path of its workspace and its name.
type ExportBindingReference struct {
	// Path is the workspace of the export, such as root:providers:ml. Empty means the binding's own workspace.
	// +optional
	Path string `json:"path,omitempty"`
	// Name is the APIExport's name.
	Name string `json:"name"`
}

// APIBindingStatus is the observed state of an APIBinding.
type APIBindingStatus struct {
	// Phase is Binding until the export's resources are served here, then Bound.
	// +optional
	Phase APIBindingPhase `json:"phase,omitempty"`
	// APIExportClusterName is the logical cluster of the bound export.
	// +optional
	APIExportClusterName string `json:"apiExportClusterName,omitempty"`
	// BoundResources are the resources served from this binding.
	// +optional
	// +listType=atomic
	BoundResources []BoundAPIResource `json:"boundResources,omitempty"`
	// Conditions describe the binding's state.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// BoundAPIResource is one resource served from a binding.
type BoundAPIResource struct {
	// Group is the resource's API group.
	Group string `json:"group"`
	// Resource is the plural resource name.
	Resource string `json:"resource"`
	// Schema is the APIResourceSchema it is served from.
	Schema BoundSchema `json:"schema"`
	// StorageVersions are the versions objects of the resource have been stored in.
	// +optional
	// +listType=set
	StorageVersions []string `json:"storageVersions,omitempty"`
}

// BoundSchema identifies the APIResourceSchema a bound resource comes from.
type BoundSchema struct {
	// Name is the schema's name.
	Name string `json:"name"`
	// UID is the schema's UID.
	UID string `json:"UID"`
	// IdentityHash is the identity of the export.
	IdentityHash string `json:"identityHash"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// APIBindingList is a list of APIBindings.
type APIBindingList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the APIBindings.
	Items []APIBinding `json:"items"`
}

// BindingFinalizer keeps a deleted APIBinding until the objects of its resources in the workspace are erased.
const BindingFinalizer = "apis.gantry.dev/bound-objects"
