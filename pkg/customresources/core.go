package customresources

import (
	"context"

	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// statusStorage is what serves a custom resource's status subresource.
type statusStorage interface {
	subresourceStorage
	GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set
}

// coreValidation are the strategies that validate a core-group resource's objects: the custom resource strategy,
// and its status strategy, built for the kind in group "core".
type coreValidation struct {
	object rest.RESTCreateUpdateStrategy
	status rest.RESTUpdateStrategy
}

// forCoreGroup adapts the storage of a core-group resource (a bound Service: group "", version v1) to the custom
// resource strategy, whose validation wants apiVersion "<group>/<version>", which no core-group object can have
// (Kubernetes writes and parses "v1"). The main store's create and update strategies and the status subresource
// (rebuilt on a copy of the main store, as upstream builds it, with statusStrategy) validate with validation, built
// for group "core", the object's apiVersion read as "core/v1" meanwhile, and leave the rest to the resource's own
// strategies. It returns the status storage, or nil when the resource has no status subresource.
func forCoreGroup(storage customresource.CustomResourceStorage, validation coreValidation, statusStrategy interface {
	rest.RESTUpdateStrategy
	rest.ResetFieldsStrategy
}) statusStorage {
	store := storage.CustomResource.Store
	store.CreateStrategy = coreCreateStrategy{RESTCreateStrategy: store.CreateStrategy, validator: validation.object}
	store.UpdateStrategy = coreUpdateStrategy{RESTUpdateStrategy: store.UpdateStrategy, validator: validation.object}
	if storage.Status == nil {
		return nil
	}
	statusStore := *store
	statusStore.UpdateStrategy = coreUpdateStrategy{RESTUpdateStrategy: statusStrategy, validator: validation.status}
	statusStore.ResetFieldsStrategy = statusStrategy
	return &coreStatus{store: &statusStore}
}

// asCoreGroup runs validate with obj's apiVersion "v1" read as "core/v1", then puts it back.
func asCoreGroup(obj runtime.Object, validate func() field.ErrorList) field.ErrorList {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok || u.GetAPIVersion() != "v1" {
		return validate()
	}
	u.SetAPIVersion("core/v1")
	defer u.SetAPIVersion("v1")
	return validate()
}

// coreCreateStrategy is a core-group resource's create strategy, validating with validator and asCoreGroup.
type coreCreateStrategy struct {
	rest.RESTCreateStrategy
	validator rest.RESTCreateStrategy
}

// Validate validates obj with its apiVersion read as "core/v1".
func (s coreCreateStrategy) Validate(ctx context.Context, obj runtime.Object) field.ErrorList {
	return asCoreGroup(obj, func() field.ErrorList { return s.validator.Validate(ctx, obj) })
}

// coreUpdateStrategy is a core-group resource's update strategy, validating with validator and asCoreGroup.
type coreUpdateStrategy struct {
	rest.RESTUpdateStrategy
	validator rest.RESTUpdateStrategy
}

// ValidateUpdate validates obj with its apiVersion read as "core/v1".
func (s coreUpdateStrategy) ValidateUpdate(ctx context.Context, obj, old runtime.Object) field.ErrorList {
	return asCoreGroup(obj, func() field.ErrorList { return s.validator.ValidateUpdate(ctx, obj, old) })
}

// coreStatus serves the status subresource of a core-group resource, as upstream's StatusREST does.
type coreStatus struct {
	store *genericregistry.Store
}

// New returns an empty object of the resource.
func (r *coreStatus) New() runtime.Object { return r.store.New() }

// Destroy does nothing: the main store owns the storage.
func (r *coreStatus) Destroy() {}

// Get returns an object.
func (r *coreStatus) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update updates the status of an object; a subresource never creates one.
func (r *coreStatus) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// GetResetFields returns the fields the status subresource resets: everything but the status.
func (r *coreStatus) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}
