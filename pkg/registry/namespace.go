package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/storage"
	storeerr "k8s.io/apiserver/pkg/storage/errors"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// NamespaceFinalizer is the spec.finalizers entry that keeps a deleted namespace Terminating until the namespace
// controller has removed everything in it, as in Kubernetes.
const NamespaceFinalizer = corev1.FinalizerKubernetes

var namespaceRules = kindRules{
	validate: func(obj, _ runtime.Object) field.ErrorList {
		errs := validateName(obj, apimachineryvalidation.NameIsDNSLabel)
		for i, f := range obj.(*corev1.Namespace).Spec.Finalizers {
			for _, msg := range validation.IsQualifiedName(string(f)) {
				errs = append(errs, field.Invalid(field.NewPath("spec", "finalizers").Index(i), f, msg))
			}
		}
		return errs
	},
	prepareForCreate: func(_ context.Context, obj runtime.Object) {
		ns := obj.(*corev1.Namespace)
		ns.Status = corev1.NamespaceStatus{Phase: corev1.NamespaceActive}
		if !slices.Contains(ns.Spec.Finalizers, NamespaceFinalizer) {
			ns.Spec.Finalizers = append(ns.Spec.Finalizers, NamespaceFinalizer)
		}
	},
	// spec.finalizers changes only through namespaces/finalize, the status only through namespaces/status.
	prepareForUpdate: func(obj, old runtime.Object) {
		ns, oldNS := obj.(*corev1.Namespace), old.(*corev1.Namespace)
		ns.Status, ns.Spec.Finalizers = oldNS.Status, oldNS.Spec.Finalizers
	},
	// Defaulting labels a namespace with its name, but a generated name is only known after it: label it here,
	// and keep the label true to the name on every update.
	canonicalize: func(obj runtime.Object) { labelNamespaceName(obj.(*corev1.Namespace)) },
	resetFields:  map[fieldpath.APIVersion]*fieldpath.Set{"v1": fieldpath.NewSet(fieldpath.MakePathOrDie("status"))},
}

// namespaceStatusRules are those of namespaces/status, as kube-apiserver's: the spec stays as stored, metadata may
// change as in any update, and the phase must agree with deletionTimestamp (Active until deleted, Terminating
// after).
var namespaceStatusRules = kindRules{
	validate: func(obj, old runtime.Object) field.ErrorList {
		errs := namespaceRules.validate(obj, old)
		ns := obj.(*corev1.Namespace)
		phase := field.NewPath("status", "phase")
		switch {
		case ns.DeletionTimestamp.IsZero() && ns.Status.Phase != corev1.NamespaceActive:
			errs = append(errs, field.Invalid(phase, ns.Status.Phase, "may only be 'Active' if `deletionTimestamp` is empty"))
		case !ns.DeletionTimestamp.IsZero() && ns.Status.Phase != corev1.NamespaceTerminating:
			errs = append(errs, field.Invalid(phase, ns.Status.Phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"))
		}
		return errs
	},
	prepareForUpdate: keepField("Spec"),
	canonicalize:     namespaceRules.canonicalize,
	resetFields:      map[fieldpath.APIVersion]*fieldpath.Set{"v1": fieldpath.NewSet(fieldpath.MakePathOrDie("spec"))},
}

// finalizeRules are those of namespaces/finalize: only spec.finalizers changes.
var finalizeRules = kindRules{
	validate:     namespaceRules.validate,
	canonicalize: namespaceRules.canonicalize,
	prepareForUpdate: func(obj, old runtime.Object) {
		ns := obj.(*corev1.Namespace)
		finalizers := ns.Spec.Finalizers
		old.(*corev1.Namespace).DeepCopyInto(ns)
		ns.Spec.Finalizers = finalizers
	},
}

// namespaceStorage returns the namespaces storage and its finalize and status subresources. Deleting a namespace whose
// spec.finalizers is not empty only marks it: deletionTimestamp set, phase Terminating. Emptying spec.finalizers
// through namespaces/finalize then deletes it.
func namespaceStorage(store *typedStore) (main, finalizeREST, statusREST rest.Storage) {
	store.ShouldDeleteDuringUpdate = func(_ context.Context, _ string, obj, _ runtime.Object) bool {
		return len(obj.(*corev1.Namespace).Spec.Finalizers) == 0
	}
	finalize := *store.Store
	finalize.UpdateStrategy = newStrategy(finalizeRules)
	finalize.ResetFieldsStrategy = nil
	status := *store.Store
	statusStrategy := newStrategy(namespaceStatusRules)
	status.UpdateStrategy, status.ResetFieldsStrategy = statusStrategy, statusStrategy
	return &namespaceREST{typedStore: store}, &subresourceREST{store: &finalize}, &subresourceREST{store: &status}
}

// namespaceREST is the namespaces storage with Kubernetes' two-step deletion.
type namespaceREST struct {
	*typedStore
}

// Delete marks a namespace Terminating; the namespace controller empties it and then finalizes it.
func (r *namespaceREST) Delete(ctx context.Context, name string, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	if name == metav1.NamespaceDefault {
		return nil, false, apierrors.NewForbidden(corev1.Resource("namespaces"), name, errors.New("this namespace may not be deleted"))
	}
	obj, err := r.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, false, err
	}
	ns := obj.(*corev1.Namespace)
	if len(ns.Spec.Finalizers) == 0 {
		return r.Store.Delete(ctx, name, deleteValidation, options)
	}
	if options == nil {
		options = &metav1.DeleteOptions{}
	}
	preconditions := &storage.Preconditions{}
	if options.Preconditions != nil {
		preconditions.UID, preconditions.ResourceVersion = options.Preconditions.UID, options.Preconditions.ResourceVersion
	}
	if deleteValidation != nil {
		if err := deleteValidation(ctx, ns); err != nil {
			return nil, false, err
		}
	}
	key, err := r.KeyFunc(ctx, name)
	if err != nil {
		return nil, false, err
	}
	out := r.NewFunc()
	err = r.Storage.GuaranteedUpdate(ctx, key, out, false, preconditions, storage.SimpleUpdate(func(existing runtime.Object) (runtime.Object, error) {
		ns, ok := existing.(*corev1.Namespace)
		if !ok {
			return nil, fmt.Errorf("unexpected object %T", existing)
		}
		if ns.DeletionTimestamp == nil {
			now := metav1.Now()
			ns.DeletionTimestamp = &now
			zero := int64(0)
			ns.DeletionGracePeriodSeconds = &zero
		}
		ns.Status.Phase = corev1.NamespaceTerminating
		return ns, nil
	}), len(options.DryRun) > 0, nil)
	if err != nil {
		return nil, false, storeerr.InterpretUpdateError(err, corev1.Resource("namespaces"), name)
	}
	return out, false, nil
}
