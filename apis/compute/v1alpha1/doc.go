// Package v1alpha1 holds the compute.gantry.dev API: SyncTargets, each standing for one real Kubernetes cluster
// (a GPU compute cluster) registered in a compute workspace, and Placements, with which a user workspace chooses
// the cluster its objects run on.
//
// It holds the Go types and their registration only: their REST storage and validation are pkg/registry, the
// controllers and the syncer are elsewhere, and clients are generated in the sdk.
//
// +k8s:deepcopy-gen=package
// +k8s:openapi-gen=true
// +k8s:openapi-model-package=dev.gantry.compute.v1alpha1
// +groupName=compute.gantry.dev
package v1alpha1
