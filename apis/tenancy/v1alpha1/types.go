package v1alpha1

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WorkspacePhase is the lifecycle phase of a Workspace.
type WorkspacePhase string

const (
	// WorkspacePhaseScheduling means the logical cluster name is assigned but nothing is stored in it yet.
	WorkspacePhaseScheduling WorkspacePhase = "Scheduling"
	// WorkspacePhaseInitializing means the workspace's initial content (the default namespace) is being written.
	WorkspacePhaseInitializing WorkspacePhase = "Initializing"
	// WorkspacePhaseReady means the workspace serves requests.
	WorkspacePhaseReady WorkspacePhase = "Ready"
	// WorkspacePhaseTerminating means the workspace and everything stored in it are being removed.
	WorkspacePhaseTerminating WorkspacePhase = "Terminating"
)

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Workspace is a child logical cluster of the workspace it is created in. Its path is the parent's path plus
// ":" plus its name; its logical cluster name is a short random id that storage uses.
type Workspace struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the creator asks for.
	// +optional
	Spec WorkspaceSpec `json:"spec,omitempty"`
	// Status is what the server observed.
	// +optional
	Status WorkspaceStatus `json:"status,omitempty"`
}

// WorkspaceSpec is the desired state of a Workspace.
type WorkspaceSpec struct {
	// Type names the WorkspaceType of the workspace. Empty means the parent's default child type.
	// +optional
	Type string `json:"type,omitempty"`
	// Cluster is the logical cluster name of the workspace. The server assigns it on creation and it never changes.
	// +optional
	Cluster string `json:"cluster,omitempty"`
}

// WorkspaceStatus is the observed state of a Workspace.
type WorkspaceStatus struct {
	// Phase is the lifecycle phase of the workspace.
	// +optional
	Phase WorkspacePhase `json:"phase,omitempty"`
	// URL is the address of the workspace, https://<host>/clusters/<path>.
	// +optional
	URL string `json:"url,omitempty"`
	// Conditions describe the workspace's state in detail.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// WorkspaceList is a list of Workspaces.
type WorkspaceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the Workspaces.
	Items []Workspace `json:"items"`
}

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// WorkspaceType says what a workspace of that type may contain: which types its child workspaces may have and
// which type they get when they name none. A WorkspaceType stored in a workspace can be used there and in every
// workspace below it; the nearest definition of a name wins. The types root, organization, team and universal are
// built in and available everywhere.
type WorkspaceType struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the definition of the type.
	// +optional
	Spec WorkspaceTypeSpec `json:"spec,omitempty"`
}

// WorkspaceTypeSpec defines a WorkspaceType.
type WorkspaceTypeSpec struct {
	// DefaultChildType is the type a child workspace gets when it names none. Empty means universal.
	// +optional
	DefaultChildType string `json:"defaultChildType,omitempty"`
	// AllowedChildTypes are the types a child workspace may have. Empty allows every type (set NoChildren to
	// allow none).
	// +optional
	// +listType=set
	AllowedChildTypes []string `json:"allowedChildTypes,omitempty"`
	// NoChildren forbids child workspaces altogether.
	// +optional
	NoChildren bool `json:"noChildren,omitempty"`
	// DefaultAPIBindings are the APIExports bound in every new workspace of this type, each by an APIBinding named
	// after the export. Whoever writes the type needs the verb "bind" on each of them.
	// +optional
	// +listType=atomic
	DefaultAPIBindings []APIExportReference `json:"defaultAPIBindings,omitempty"`
	// DefaultAdmissionPolicies are the ValidatingAdmissionPolicies created, each with a binding of the same name, in
	// every new workspace of this type: the platform owner's rules for the workspaces of a kind.
	// +optional
	// +listType=map
	// +listMapKey=name
	DefaultAdmissionPolicies []DefaultAdmissionPolicy `json:"defaultAdmissionPolicies,omitempty"`
}

// DefaultAdmissionPolicy is a ValidatingAdmissionPolicy and its binding, both named Name, that a WorkspaceType
// creates in each new workspace of the type.
type DefaultAdmissionPolicy struct {
	// Name names the policy and its binding.
	Name string `json:"name"`
	// Policy is the spec of the ValidatingAdmissionPolicy.
	Policy admissionregistrationv1.ValidatingAdmissionPolicySpec `json:"policy"`
	// ValidationActions are the binding's; empty means [Deny].
	// +optional
	// +listType=set
	ValidationActions []admissionregistrationv1.ValidationAction `json:"validationActions,omitempty"`
}

// APIExportReference names an APIExport by the path of its workspace and its name.
type APIExportReference struct {
	// Path is the workspace of the export, such as root:providers:ml.
	Path string `json:"path"`
	// Export is the APIExport's name.
	Export string `json:"export"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// WorkspaceTypeList is a list of WorkspaceTypes.
type WorkspaceTypeList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the WorkspaceTypes.
	Items []WorkspaceType `json:"items"`
}
