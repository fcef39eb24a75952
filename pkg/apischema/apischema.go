package apischema

import (
	"context"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
)

// GroupSuffix is how an API group ends the names of schemas and of the CRDs they stand for: the group itself, or
// "core" for the core group (""), since a name cannot end in a dot. No group is named "core": a dotless group
// other than Kubernetes' own is refused.
func GroupSuffix(group string) string {
	if group == "" {
		return "core"
	}
	return group
}

// ToCRD returns the CustomResourceDefinition a schema stands for, named "<plural>.<group>" (GroupSuffix) with the
// given UID.
func ToCRD(s *apisv1alpha1.APIResourceSchema, uid types.UID) *apiextensionsv1.CustomResourceDefinition {
	crd := &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: apiextensionsv1.SchemeGroupVersion.String(), Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: s.Spec.Names.Plural + "." + GroupSuffix(s.Spec.Group), UID: uid},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: s.Spec.Group,
			Names: *s.Spec.Names.DeepCopy(),
			Scope: s.Spec.Scope,
		},
	}
	for _, v := range s.Spec.Versions {
		v := v.DeepCopy()
		crd.Spec.Versions = append(crd.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{
			Name: v.Name, Served: v.Served, Storage: v.Storage, Deprecated: v.Deprecated, DeprecationWarning: v.DeprecationWarning,
			Schema: &v.Schema, Subresources: &v.Subresources, AdditionalPrinterColumns: v.AdditionalPrinterColumns,
		})
	}
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(crd)
	return crd
}

// FromCRD returns the APIResourceSchema of a CRD, named "<prefix>.<plural>.<group>" (GroupSuffix: "core" for the
// core group).
func FromCRD(crd *apiextensionsv1.CustomResourceDefinition, prefix string) *apisv1alpha1.APIResourceSchema {
	s := &apisv1alpha1.APIResourceSchema{
		TypeMeta:   metav1.TypeMeta{APIVersion: apisv1alpha1.SchemeGroupVersion.String(), Kind: "APIResourceSchema"},
		ObjectMeta: metav1.ObjectMeta{Name: prefix + "." + crd.Spec.Names.Plural + "." + GroupSuffix(crd.Spec.Group)},
		Spec: apisv1alpha1.APIResourceSchemaSpec{
			Group: crd.Spec.Group,
			Names: *crd.Spec.Names.DeepCopy(),
			Scope: crd.Spec.Scope,
		},
	}
	for _, v := range crd.Spec.Versions {
		v := v.DeepCopy()
		out := apisv1alpha1.APIResourceVersion{Name: v.Name, Served: v.Served, Storage: v.Storage, Deprecated: v.Deprecated,
			DeprecationWarning: v.DeprecationWarning, AdditionalPrinterColumns: v.AdditionalPrinterColumns}
		if v.Schema != nil {
			out.Schema = *v.Schema
		}
		if v.Subresources != nil {
			out.Subresources = *v.Subresources
		}
		s.Spec.Versions = append(s.Spec.Versions, out)
	}
	return s
}

// kubernetesGroups are the dotless API groups of Kubernetes that a compute workspace may export, as
// imported from a downstream cluster; CRDs could not name them.
var kubernetesGroups = map[string]bool{"apps": true, "batch": true, "policy": true}

// Validate checks a schema as Kubernetes checks the CRD it stands for (structural schema, names, versions,
// subresources, printer columns, CEL rules), and its name, which must be "<prefix>.<plural>.<group>" ("core" for the
// core group). A schema of the core group ("", as imported from a cluster) must be of a Kubernetes core/v1 kind.
func Validate(ctx context.Context, s *apisv1alpha1.APIResourceSchema) field.ErrorList {
	var errs field.ErrorList
	suffix := "." + s.Spec.Names.Plural + "." + GroupSuffix(s.Spec.Group)
	if !strings.HasSuffix(s.Name, suffix) || len(s.Name) == len(suffix) {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), s.Name, "must be <prefix>"+suffix))
	}
	if s.Spec.Group == "" {
		errs = append(errs, validateCore(s)...)
	}
	crd := ToCRD(s, "")
	internal := &apiextensions.CustomResourceDefinition{}
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, internal, nil); err != nil {
		return append(errs, field.InternalError(field.NewPath("spec"), err))
	}
	// Converting to the internal CRD hoists what all versions share to spec.validation, spec.subresources and
	// spec.additionalPrinterColumns: point errors back at the versions, where the schema author wrote them.
	versions := "spec.versions[*]"
	if len(s.Spec.Versions) == 1 {
		versions = "spec.versions[0]"
	}
	hoisted := strings.NewReplacer("spec.validation", versions+".schema", "spec.subresources", versions+".subresources",
		"spec.additionalPrinterColumns", versions+".additionalPrinterColumns")
	for _, e := range apiextensionsvalidation.ValidateCustomResourceDefinition(ctx, internal) {
		if strings.HasPrefix(e.Field, "metadata.") || e.Field == "status" || strings.HasPrefix(e.Field, "status.") {
			continue // the CRD's name and status are ours to choose, not the schema's
		}
		if e.Field == "spec.group" && (kubernetesGroups[s.Spec.Group] || s.Spec.Group == "") {
			continue // a Kubernetes group imported from a cluster (CRDFromOpenAPI) keeps its dotless name
		}
		if strings.HasPrefix(e.Field, "spec.") {
			e.Field = hoisted.Replace(e.Field)
		}
		errs = append(errs, e)
	}
	return errs
}

// validateCore checks that a schema of the core group stands for one of Kubernetes' own core kinds (Service,
// PersistentVolumeClaim, ...), at version v1: the core group holds no other kinds.
func validateCore(s *apisv1alpha1.APIResourceSchema) field.ErrorList {
	var errs field.ErrorList
	kind := schema.GroupVersionKind{Version: "v1", Kind: s.Spec.Names.Kind}
	if !clientgoscheme.Scheme.Recognizes(kind) || strings.HasSuffix(kind.Kind, "List") || strings.HasSuffix(kind.Kind, "Options") {
		errs = append(errs, field.Invalid(field.NewPath("spec", "names", "kind"), s.Spec.Names.Kind,
			"the core group (\"\") holds only Kubernetes' own core/v1 kinds, such as Service"))
	}
	for i, v := range s.Spec.Versions {
		if v.Name != "v1" {
			errs = append(errs, field.NotSupported(field.NewPath("spec", "versions").Index(i).Child("name"), v.Name, []string{"v1"}))
		}
	}
	return errs
}
