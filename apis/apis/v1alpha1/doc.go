// Package v1alpha1 holds the apis.gantry.dev API: APIResourceSchemas and APIExports, with which a provider
// workspace offers APIs, and APIBindings, with which a consumer workspace uses them.
//
// It holds the Go types and their registration only: the controller that gives exports identities and decides
// bindings is pkg/apibinding, their REST storage is pkg/registry, and clients are generated in the sdk.
//
// +k8s:deepcopy-gen=package
// +k8s:openapi-gen=true
// +k8s:openapi-model-package=dev.gantry.apis.v1alpha1
// +groupName=apis.gantry.dev
package v1alpha1
