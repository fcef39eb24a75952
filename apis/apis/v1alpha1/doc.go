// Package v1alpha1 holds the apis.gantry.dev API: APIResourceSchemas and APIExports, with which a provider
// workspace offers APIs, and APIBindings, with which a consumer workspace uses them.
//
// +k8s:deepcopy-gen=package
// +k8s:openapi-gen=true
// +k8s:openapi-model-package=dev.gantry.apis.v1alpha1
// +groupName=apis.gantry.dev
package v1alpha1
