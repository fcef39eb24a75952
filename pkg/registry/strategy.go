package registry

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage/names"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// kindRules is what differs between the typed kinds: everything else about their REST behaviour is shared.
type kindRules struct {
	// namespaced says whether the kind lives in namespaces.
	namespaced bool
	// validate checks a new or updated object; old is nil on create.
	validate func(obj, old runtime.Object) field.ErrorList
	// prepareForCreate sets defaults and clears what a client may not set, before validation.
	prepareForCreate func(ctx context.Context, obj runtime.Object)
	// prepareForUpdate carries over from old what a client may not change through this endpoint.
	prepareForUpdate func(obj, old runtime.Object)
	// canonicalize normalizes a valid object before it is stored, on create and update (for what depends on a name
	// generated after prepareForCreate).
	canonicalize func(obj runtime.Object)
	// resetFields are the fields this endpoint ignores, for server-side apply.
	resetFields map[fieldpath.APIVersion]*fieldpath.Set
	// markDeleting, when set, changes an object in the very write that marks it deleted (deletionTimestamp set
	// while finalizers keep it), as kube-apiserver's namespaces turn Terminating in their DELETE: the controller
	// that finalizes it then needs no write and no round trip of its own to say so.
	markDeleting func(obj runtime.Object)
}

// strategy implements the create, update and delete strategies of genericregistry.Store from kindRules.
type strategy struct {
	runtime.ObjectTyper
	names.NameGenerator
	rules kindRules
}

var (
	_ rest.RESTCreateStrategy       = strategy{}
	_ rest.RESTUpdateStrategy       = strategy{}
	_ rest.RESTDeleteStrategy       = strategy{}
	_ rest.ResetFieldsStrategy      = strategy{}
	_ rest.RESTCreateUpdateStrategy = strategy{}
)

func newStrategy(rules kindRules) strategy {
	return strategy{ObjectTyper: Scheme, NameGenerator: names.SimpleNameGenerator, rules: rules}
}

func (s strategy) NamespaceScoped() bool { return s.rules.namespaced }

func (s strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	if s.rules.prepareForCreate != nil {
		s.rules.prepareForCreate(ctx, obj)
	}
}

func (s strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	if s.rules.prepareForUpdate != nil {
		s.rules.prepareForUpdate(obj, old)
	}
}

func (s strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	if s.rules.validate == nil {
		return nil
	}
	return s.rules.validate(obj, nil)
}

func (s strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	if s.rules.validate == nil {
		return nil
	}
	return s.rules.validate(obj, old)
}

func (strategy) WarningsOnCreate(context.Context, runtime.Object) []string { return nil }
func (strategy) WarningsOnUpdate(context.Context, runtime.Object, runtime.Object) []string {
	return nil
}
func (s strategy) Canonicalize(obj runtime.Object) {
	if s.rules.canonicalize != nil {
		s.rules.canonicalize(obj)
	}
}
func (strategy) AllowCreateOnUpdate(context.Context) bool      { return false }
func (strategy) AllowUnconditionalUpdate(context.Context) bool { return true }

func (s strategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return s.rules.resetFields
}

// markingDeleteStrategy is the delete strategy of a kind with rules.markDeleting. genericregistry.Store asks
// CheckGracefulDelete, inside the storage update that sets deletionTimestamp, whether the object it is about to
// mark is deleted gracefully; this strategy answers no (deletion is never graceful, as with the plain strategy) and
// takes the chance to change that object, so that the change and the deletion mark are one write. Everything else
// about DELETE (preconditions, dry run, admission, propagation finalizers, deletecollection) stays the generic
// store's.
type markingDeleteStrategy struct {
	strategy
}

var _ rest.RESTGracefulDeleteStrategy = markingDeleteStrategy{}

// CheckGracefulDelete implements rest.RESTGracefulDeleteStrategy: it applies markDeleting to obj, the stored
// object being deleted, and returns false.
func (s markingDeleteStrategy) CheckGracefulDelete(_ context.Context, obj runtime.Object, _ *metav1.DeleteOptions) bool {
	s.rules.markDeleting(obj)
	return false
}
