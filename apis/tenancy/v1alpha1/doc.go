// Package v1alpha1 holds the tenancy.gantry.dev API: Workspaces, the logical clusters users reach at
// /clusters/<path>, and WorkspaceTypes, which set a new workspace's defaults.
//
// It holds the Go types and their registration only: the workspace controller and path index are pkg/workspace,
// WorkspaceType resolution is pkg/workspacetype, their REST storage is pkg/registry, and clients are generated in
// the sdk.
//
// +k8s:deepcopy-gen=package
// +k8s:openapi-gen=true
// +k8s:openapi-model-package=dev.gantry.tenancy.v1alpha1
// +groupName=tenancy.gantry.dev
package v1alpha1
