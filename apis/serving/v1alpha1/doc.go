// Package v1alpha1 holds the serving.gantry.dev API, Gantry's reference AI provider: Models (a registry of model
// versions and their stages), ServingRuntimes (the model servers a format can run on), InferenceServices (a model
// served on a compute cluster, with a one-word health) and InferenceServiceRevisions (the immutable history of an
// InferenceService's spec).
//
// The field names follow KServe's serving.kserve.io/v1beta1 where KServe has the concept, so that KServe users feel
// at home. Unlike Gantry's built-in groups these types are served as bound custom resources: their schemas are
// generated from the kubebuilder markers below into config/serving/crds (`make codegen`), published by the provider
// workspace root:serving (pkg/servingprovider) and bound by each team.
//
// +k8s:deepcopy-gen=package
// +groupName=serving.gantry.dev
package v1alpha1
