package customresources

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// filteredStore is a view of a resource's storage that holds only the objects whose labels match selector:
// others are not found, lists and watches are narrowed, and updates are checked by validate, or else may not move
// an object out of the view.
type filteredStore struct {
	store    ReadUpdateStorage
	selector labels.Selector
	validate func(ctx context.Context, obj, old runtime.Object) error
}

// NewFilteredStore returns the view of store a View describes, for FilteredHandler: it is how virtual workspaces
// serve built-in resources as well as custom ones.
func NewFilteredStore(store ReadUpdateStorage, view View) ReadUpdateStorage {
	return &filteredStore{store: store, selector: selectorOf(view), validate: view.ValidateUpdate}
}

// selectorOf is a view's selector, everything when unset.
func selectorOf(view View) labels.Selector {
	if view.Selector == nil {
		return labels.Everything()
	}
	return view.Selector
}

// New implements rest.Storage.
func (f *filteredStore) New() runtime.Object { return f.store.New() }

// Destroy implements rest.Storage; the view owns nothing.
func (f *filteredStore) Destroy() {}

// NewList implements rest.Lister.
func (f *filteredStore) NewList() runtime.Object { return f.store.NewList() }

// ConvertToTable implements rest.TableConvertor.
func (f *filteredStore) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return f.store.ConvertToTable(ctx, object, tableOptions)
}

// Get implements rest.Getter.
func (f *filteredStore) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return visibleGet(ctx, f.store, f.selector, name, options)
}

// List implements rest.Lister.
func (f *filteredStore) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	return f.store.List(ctx, narrowed(options, f.selector))
}

// Watch implements rest.Watcher.
func (f *filteredStore) Watch(ctx context.Context, options *metainternalversion.ListOptions) (watch.Interface, error) {
	return f.store.Watch(ctx, narrowed(options, f.selector))
}

// Update implements rest.Updater. It never creates: an object that is not in the view is not found.
func (f *filteredStore) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return visibleUpdate(ctx, f.store, f.selector, f.validate, name, objInfo, createValidation, updateValidation, options)
}

// filteredSubresource is the same view of the status subresource.
type filteredSubresource struct {
	store    subresourceStorage
	selector labels.Selector
}

// New implements rest.Storage.
func (f *filteredSubresource) New() runtime.Object { return f.store.New() }

// Destroy implements rest.Storage; the view owns nothing.
func (f *filteredSubresource) Destroy() {}

// Get implements rest.Getter.
func (f *filteredSubresource) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return visibleGet(ctx, f.store, f.selector, name, options)
}

// Update implements rest.Updater.
func (f *filteredSubresource) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return visibleUpdate(ctx, f.store, f.selector, nil, name, objInfo, createValidation, updateValidation, options)
}

// narrowed returns list options that also require selector.
func narrowed(options *metainternalversion.ListOptions, selector labels.Selector) *metainternalversion.ListOptions {
	out := &metainternalversion.ListOptions{}
	if options != nil {
		out = options.DeepCopy()
	}
	if out.LabelSelector == nil || out.LabelSelector.Empty() {
		out.LabelSelector = selector
		return out
	}
	requirements, _ := selector.Requirements()
	out.LabelSelector = out.LabelSelector.Add(requirements...)
	return out
}

// visibleGet reads an object and reports it not found unless its labels match selector.
func visibleGet(ctx context.Context, store rest.Getter, selector labels.Selector, name string, options *metav1.GetOptions) (runtime.Object, error) {
	obj, err := store.Get(ctx, name, options)
	if err != nil {
		return nil, err
	}
	if !matches(obj, selector) {
		return nil, notFound(ctx, name)
	}
	return obj, nil
}

// visibleUpdate updates an object in the view. validate, when set, checks the update; otherwise the update may
// not take the object out of the view.
func visibleUpdate(ctx context.Context, store rest.Updater, selector labels.Selector, validate func(ctx context.Context, obj, old runtime.Object) error,
	name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc,
	options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	keep := func(ctx context.Context, obj, old runtime.Object) error {
		if !matches(old, selector) {
			return notFound(ctx, name)
		}
		if validate != nil {
			if err := validate(ctx, obj, old); err != nil {
				return err
			}
		} else if !matches(obj, selector) {
			return apierrors.NewForbidden(resourceOf(ctx), name, fmt.Errorf("the update would take the object out of this view (%s)", selector))
		}
		if updateValidation != nil {
			return updateValidation(ctx, obj, old)
		}
		return nil
	}
	return store.Update(ctx, name, objInfo, createValidation, keep, false, options)
}

func matches(obj runtime.Object, selector labels.Selector) bool {
	m, err := meta.Accessor(obj)
	return err == nil && selector.Matches(labels.Set(m.GetLabels()))
}

func notFound(ctx context.Context, name string) error {
	return apierrors.NewNotFound(resourceOf(ctx), name)
}

func resourceOf(ctx context.Context) schema.GroupResource {
	if info, ok := genericapirequest.RequestInfoFrom(ctx); ok {
		return schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}
	}
	return schema.GroupResource{}
}
