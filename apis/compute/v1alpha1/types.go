package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// SyncTarget stands for one downstream Kubernetes cluster, registered in a compute workspace (such as
// root:compute). Its labels (region, GPU product, ...) are what Placements select it by; its gantry-syncer reports
// the cluster's health and GPUs in its status.
type SyncTarget struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the platform owner asks for.
	// +optional
	Spec SyncTargetSpec `json:"spec,omitempty"`
	// Status is what the cluster's syncer reported.
	// +optional
	Status SyncTargetStatus `json:"status,omitempty"`
}

// SyncTargetSpec is the desired state of a SyncTarget.
type SyncTargetSpec struct {
	// SupportedAPIExports are the APIExports whose bound resources the cluster runs.
	// +optional
	// +listType=atomic
	SupportedAPIExports []ExportReference `json:"supportedAPIExports,omitempty"`
	// BuiltinResources are the resources Gantry serves itself that the cluster also carries, by plural name
	// (configmaps, secrets). Default: configmaps and secrets.
	// +optional
	// +listType=set
	BuiltinResources []string `json:"builtinResources,omitempty"`
	// Unschedulable keeps objects from being placed on the cluster, and moves those placed there to other targets
	// (a drain): while the cluster is Ready, each Placement keeps its copies here until every one of its objects is
	// Ready on the targets chosen instead.
	// +optional
	Unschedulable bool `json:"unschedulable,omitempty"`
	// EvictAfter is how long the cluster may miss heartbeats before its objects are placed elsewhere; unset never
	// evicts.
	// +optional
	EvictAfter *metav1.Duration `json:"evictAfter,omitempty"`
}

// ExportReference names an APIExport by the path of its workspace and its name, written "<path>:<name>" in
// kubectl plugins.
type ExportReference struct {
	// Path is the workspace of the export, such as root:serving.
	Path string `json:"path"`
	// Export is the APIExport's name.
	Export string `json:"export"`
}

// SyncTargetStatus is what the syncer of a SyncTarget reports.
type SyncTargetStatus struct {
	// LastHeartbeatTime is when the syncer last reported in.
	// +optional
	LastHeartbeatTime *metav1.Time `json:"lastHeartbeatTime,omitempty"`
	// Conditions: Ready is True while heartbeats arrive, False (HeartbeatMissed) once they stop for longer than
	// the heartbeat lease.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Capacity is the sum over the cluster's nodes of cpu, memory and nvidia.com/gpu.
	// +optional
	Capacity corev1.ResourceList `json:"capacity,omitempty"`
	// Allocatable is the sum over the cluster's nodes of what pods may use.
	// +optional
	Allocatable corev1.ResourceList `json:"allocatable,omitempty"`
	// GPUs has one row per GPU product (node label nvidia.com/gpu.product): the cluster's "fuel".
	// +optional
	// +listType=map
	// +listMapKey=product
	GPUs []GPUUsage `json:"gpus,omitempty"`
	// SyncedResources are the resources the syncer runs, and whether it can.
	// +optional
	// +listType=atomic
	SyncedResources []SyncedResource `json:"syncedResources,omitempty"`
	// VirtualWorkspaceURL is where the syncer reads the objects placed on this cluster.
	// +optional
	VirtualWorkspaceURL string `json:"virtualWorkspaceURL,omitempty"`
	// SyncerVersion is the version of the syncer that last reported.
	// +optional
	SyncerVersion string `json:"syncerVersion,omitempty"`
	// Placements counts the Placements, in every workspace, that run objects on the cluster, for its owner, who
	// cannot read the teams' workspaces: a drain is over when none is left. Written by the placement controller.
	// +optional
	Placements *PlacementCount `json:"placements,omitempty"`
}

// PlacementCount counts the Placements that run objects on one SyncTarget.
type PlacementCount struct {
	// Total is the number of Placements whose objects run on the target, draining ones included.
	Total int32 `json:"total"`
	// Draining is the number of those moving off the target: their copies stay until each of their objects is
	// Ready on the targets that replace it.
	// +optional
	Draining int32 `json:"draining,omitempty"`
}

// GPUUsage is the GPUs of one product in a cluster.
type GPUUsage struct {
	// Product is the value of the nodes' nvidia.com/gpu.product label.
	Product string `json:"product"`
	// Capacity is the number of such GPUs on the nodes.
	Capacity int64 `json:"capacity"`
	// Allocatable is the number of such GPUs pods may request.
	Allocatable int64 `json:"allocatable"`
	// Requested is the number of such GPUs requested by pods that have not terminated.
	Requested int64 `json:"requested"`
}

// SyncedResourceState says whether a synced resource runs on the cluster.
type SyncedResourceState string

const (
	// SyncedResourcePending means the syncer has not yet installed the resource downstream.
	SyncedResourcePending SyncedResourceState = "Pending"
	// SyncedResourceAccepted means the resource runs on the cluster.
	SyncedResourceAccepted SyncedResourceState = "Accepted"
	// SyncedResourceIncompatible means the cluster refused the resource's schema.
	SyncedResourceIncompatible SyncedResourceState = "Incompatible"
)

// SyncedResource is one resource a SyncTarget runs.
type SyncedResource struct {
	// Group is the resource's API group; empty is the core group.
	// +optional
	Group string `json:"group,omitempty"`
	// Resource is the plural resource name.
	Resource string `json:"resource"`
	// Versions are the versions served.
	// +optional
	// +listType=atomic
	Versions []string `json:"versions,omitempty"`
	// IdentityHash is the identity of the export the resource comes from; empty for built-ins.
	// +optional
	IdentityHash string `json:"identityHash,omitempty"`
	// State says whether it runs.
	// +optional
	State SyncedResourceState `json:"state,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// SyncTargetList is a list of SyncTargets.
type SyncTargetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the SyncTargets.
	Items []SyncTarget `json:"items"`
}

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Placement chooses, for the namespaces of a user workspace that it selects, the SyncTarget their objects run on.
// The user needs the verb "use" on the chosen SyncTarget. A workspace may hold several Placements, each for its
// own namespaces.
type Placement struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the user asks for.
	// +optional
	Spec PlacementSpec `json:"spec,omitempty"`
	// Status is what the placement controller decided.
	// +optional
	Status PlacementStatus `json:"status,omitempty"`
}

// PlacementSpec is the desired state of a Placement.
type PlacementSpec struct {
	// LocationWorkspace is the path of the compute workspace whose SyncTargets are candidates (root:compute).
	LocationWorkspace string `json:"locationWorkspace"`
	// LocationSelector selects SyncTargets by label; unset selects every one.
	// +optional
	LocationSelector *metav1.LabelSelector `json:"locationSelector,omitempty"`
	// NamespaceSelector selects the namespaces of this workspace whose objects are placed; unset selects every one.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty"`
	// Clusters is how many distinct SyncTargets every selected object runs on, the same object on each: from 1 to
	// MaxPlacementClusters; unset is 1.
	// +optional
	Clusters *int32 `json:"clusters,omitempty"`
	// SpreadBy is a label key of the SyncTargets: no two chosen targets share a value of it, and a target without
	// the label is not chosen (topology.gantry.dev/region keeps the copies in distinct regions).
	// +optional
	SpreadBy string `json:"spreadBy,omitempty"`
}

// MaxPlacementClusters is the most SyncTargets one Placement may ask for.
const MaxPlacementClusters = 10

// ClusterCount is the number of targets the Placement asks for: spec.clusters, or 1 when unset.
func (p *Placement) ClusterCount() int {
	if p.Spec.Clusters == nil {
		return 1
	}
	return int(*p.Spec.Clusters)
}

// PlacementPhase is where a Placement stands.
type PlacementPhase string

const (
	// PlacementPending means no target has been chosen yet.
	PlacementPending PlacementPhase = "Pending"
	// PlacementBound means at least one target is chosen and the selected objects go there; the Ready condition
	// says when fewer than spec.clusters are.
	PlacementBound PlacementPhase = "Bound"
	// PlacementUnschedulable means no selected target fits; the conditions say why.
	PlacementUnschedulable PlacementPhase = "Unschedulable"
)

// PlacementStatus is the decision of the placement controller.
type PlacementStatus struct {
	// Phase is where the Placement stands.
	// +optional
	Phase PlacementPhase `json:"phase,omitempty"`
	// SelectedTarget is the first of SelectedTargets, for readers of a Placement of one target.
	// +optional
	SelectedTarget *TargetReference `json:"selectedTarget,omitempty"`
	// SelectedTargets are the chosen SyncTargets, in the order they were chosen: at most spec.clusters.
	// +optional
	// +listType=atomic
	SelectedTargets []TargetReference `json:"selectedTargets,omitempty"`
	// DrainingTargets are targets chosen before that turned unschedulable while Ready (a drain). Their copies
	// stay, and keep running, until every selected object is Ready on each of SelectedTargets; then they leave
	// like any other target.
	// +optional
	// +listType=atomic
	DrainingTargets []TargetReference `json:"drainingTargets,omitempty"`
	// Conditions: Ready, True when spec.clusters targets are chosen, else False with why the others do not fit;
	// Drained, once a target has drained, False while copies wait for their replacements to be Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// TargetReference names a SyncTarget by the path of its workspace and its name.
type TargetReference struct {
	// Path is the SyncTarget's workspace.
	Path string `json:"path"`
	// Name is the SyncTarget's name.
	Name string `json:"name"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// PlacementList is a list of Placements.
type PlacementList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the Placements.
	Items []Placement `json:"items"`
}
