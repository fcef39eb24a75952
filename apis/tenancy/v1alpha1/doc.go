// Package v1alpha1 holds the tenancy.gantry.dev API: Workspaces, the logical clusters users reach at
// /clusters/<path>.
//
// +k8s:deepcopy-gen=package
// +k8s:openapi-gen=true
// +k8s:openapi-model-package=dev.gantry.tenancy.v1alpha1
// +groupName=tenancy.gantry.dev
package v1alpha1
