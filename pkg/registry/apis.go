package registry

import (
	"context"
	"reflect"
	"slices"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/apischema"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// APIs is the resourceSet of apis.gantry.dev: apiresourceschemas, apiexports(/status), apibindings(/status).
func APIs(optsGetter generic.RESTOptionsGetter) (map[schema.GroupVersionResource]rest.Storage, error) {
	out := map[schema.GroupVersionResource]rest.Storage{}
	schemas, err := newStore(optsGetter, resource{
		gvr: apisv1alpha1.SchemeGroupVersion.WithResource("apiresourceschemas"), kind: "APIResourceSchema", singular: "apiresourceschema",
		newFunc: func() runtime.Object { return &apisv1alpha1.APIResourceSchema{} },
		newList: func() runtime.Object { return &apisv1alpha1.APIResourceSchemaList{} },
		rules:   kindRules{validate: validateAPIResourceSchema},
	})
	if err != nil {
		return nil, err
	}
	out[apisv1alpha1.SchemeGroupVersion.WithResource("apiresourceschemas")] = schemas

	exportRules, exportStatus := specAndStatus(validateAPIExport, func(_ context.Context, obj runtime.Object) {
		obj.(*apisv1alpha1.APIExport).Status = apisv1alpha1.APIExportStatus{}
	})
	exports, err := statusResource(optsGetter, resource{
		gvr: apisv1alpha1.SchemeGroupVersion.WithResource("apiexports"), kind: "APIExport", singular: "apiexport",
		newFunc: func() runtime.Object { return &apisv1alpha1.APIExport{} },
		newList: func() runtime.Object { return &apisv1alpha1.APIExportList{} },
		rules:   exportRules,
	}, exportStatus)
	if err != nil {
		return nil, err
	}
	bindingRules, bindingStatus := specAndStatus(validateAPIBinding, func(_ context.Context, obj runtime.Object) {
		b := obj.(*apisv1alpha1.APIBinding)
		b.Status = apisv1alpha1.APIBindingStatus{Phase: apisv1alpha1.APIBindingPhaseBinding}
		if !slices.Contains(b.Finalizers, apisv1alpha1.BindingFinalizer) {
			b.Finalizers = append(b.Finalizers, apisv1alpha1.BindingFinalizer)
		}
	})
	bindings, err := statusResource(optsGetter, resource{
		gvr: apisv1alpha1.SchemeGroupVersion.WithResource("apibindings"), kind: "APIBinding", singular: "apibinding",
		newFunc: func() runtime.Object { return &apisv1alpha1.APIBinding{} },
		newList: func() runtime.Object { return &apisv1alpha1.APIBindingList{} },
		rules:   bindingRules,
	}, bindingStatus)
	if err != nil {
		return nil, err
	}
	for _, set := range []map[schema.GroupVersionResource]rest.Storage{exports, bindings} {
		for gvr, storage := range set {
			out[gvr] = storage
		}
	}
	return out, nil
}

func validateAPIResourceSchema(obj, old runtime.Object) field.ErrorList {
	s := obj.(*apisv1alpha1.APIResourceSchema)
	if old != nil {
		if !reflect.DeepEqual(s.Spec, old.(*apisv1alpha1.APIResourceSchema).Spec) {
			return field.ErrorList{field.Forbidden(field.NewPath("spec"), "an APIResourceSchema is immutable: create a new one and point the APIExport at it")}
		}
		return nil
	}
	return apischema.Validate(context.Background(), s)
}

func validateAPIExport(obj, _ runtime.Object) field.ErrorList {
	e := obj.(*apisv1alpha1.APIExport)
	errs := validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
	seen := map[string]bool{}
	for i, name := range e.Spec.LatestResourceSchemas {
		p := field.NewPath("spec", "latestResourceSchemas").Index(i)
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(name, false) {
			errs = append(errs, field.Invalid(p, name, msg))
		}
		if seen[name] {
			errs = append(errs, field.Duplicate(p, name))
		}
		seen[name] = true
	}
	if e.Spec.Identity != nil && e.Spec.Identity.SecretRef != nil {
		ref := e.Spec.Identity.SecretRef
		p := field.NewPath("spec", "identity", "secretRef")
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(ref.Name, false) {
			errs = append(errs, field.Invalid(p.Child("name"), ref.Name, msg))
		}
		for _, msg := range apimachineryvalidation.ValidateNamespaceName(ref.Namespace, false) {
			errs = append(errs, field.Invalid(p.Child("namespace"), ref.Namespace, msg))
		}
	}
	return errs
}

func validateAPIBinding(obj, old runtime.Object) field.ErrorList {
	b := obj.(*apisv1alpha1.APIBinding)
	errs := validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
	p := field.NewPath("spec", "reference", "export")
	ref := b.Spec.Reference.Export
	if ref == nil {
		return append(errs, field.Required(p, "the APIExport to bind"))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), "the APIExport's name"))
	}
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(ref.Name, false) {
		if ref.Name != "" {
			errs = append(errs, field.Invalid(p.Child("name"), ref.Name, msg))
		}
	}
	if ref.Path != "" {
		if _, err := logicalcluster.ParsePath(ref.Path); err != nil {
			errs = append(errs, field.Invalid(p.Child("path"), ref.Path, err.Error()))
		}
	}
	if old != nil && !reflect.DeepEqual(b.Spec.Reference, old.(*apisv1alpha1.APIBinding).Spec.Reference) {
		errs = append(errs, field.Invalid(field.NewPath("spec", "reference"), ref, "field is immutable"))
	}
	return errs
}
