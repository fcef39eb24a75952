package registry

import (
	"reflect"
	"sort"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
)

var (
	// Scheme holds every typed kind Gantry serves.
	Scheme = runtime.NewScheme()
	// Codecs serializes the kinds of Scheme (JSON, YAML, protobuf, CBOR).
	Codecs = serializer.NewCodecFactory(Scheme)

	// externalScheme holds the served kinds under their external versions only, so that OpenAPI advertises no
	// hub version.
	externalScheme = runtime.NewScheme()
)

// servedKinds lists, per group version, the kinds served typed.
var servedKinds = map[schema.GroupVersion][]runtime.Object{
	corev1.SchemeGroupVersion: {
		&corev1.Namespace{}, &corev1.NamespaceList{},
		&corev1.ConfigMap{}, &corev1.ConfigMapList{},
		&corev1.Secret{}, &corev1.SecretList{},
		&corev1.ServiceAccount{}, &corev1.ServiceAccountList{},
		&corev1.Event{}, &corev1.EventList{},
	},
	eventsv1.SchemeGroupVersion:       {&eventsv1.Event{}, &eventsv1.EventList{}},
	coordinationv1.SchemeGroupVersion: {&coordinationv1.Lease{}, &coordinationv1.LeaseList{}},
	rbacv1.SchemeGroupVersion: {
		&rbacv1.Role{}, &rbacv1.RoleList{},
		&rbacv1.RoleBinding{}, &rbacv1.RoleBindingList{},
		&rbacv1.ClusterRole{}, &rbacv1.ClusterRoleList{},
		&rbacv1.ClusterRoleBinding{}, &rbacv1.ClusterRoleBindingList{},
	},
	apisv1alpha1.SchemeGroupVersion: {
		&apisv1alpha1.APIResourceSchema{}, &apisv1alpha1.APIResourceSchemaList{},
		&apisv1alpha1.APIExport{}, &apisv1alpha1.APIExportList{},
		&apisv1alpha1.APIBinding{}, &apisv1alpha1.APIBindingList{},
	},
	computev1alpha1.SchemeGroupVersion: {
		&computev1alpha1.SyncTarget{}, &computev1alpha1.SyncTargetList{},
		&computev1alpha1.Placement{}, &computev1alpha1.PlacementList{},
	},
	tenancyv1alpha1.SchemeGroupVersion: {&tenancyv1alpha1.Workspace{}, &tenancyv1alpha1.WorkspaceList{},
		&tenancyv1alpha1.WorkspaceType{}, &tenancyv1alpha1.WorkspaceTypeList{}},
	authorizationv1.SchemeGroupVersion: {
		&authorizationv1.SelfSubjectAccessReview{}, &authorizationv1.SubjectAccessReview{},
		&authorizationv1.LocalSubjectAccessReview{}, &authorizationv1.SelfSubjectRulesReview{},
	},
	authenticationv1.SchemeGroupVersion: {&authenticationv1.SelfSubjectReview{}, &authenticationv1.TokenRequest{}},
	admissionregistrationv1.SchemeGroupVersion: {
		&admissionregistrationv1.ValidatingAdmissionPolicy{}, &admissionregistrationv1.ValidatingAdmissionPolicyList{},
		&admissionregistrationv1.ValidatingAdmissionPolicyBinding{}, &admissionregistrationv1.ValidatingAdmissionPolicyBindingList{},
		&admissionregistrationv1.MutatingAdmissionPolicy{}, &admissionregistrationv1.MutatingAdmissionPolicyList{},
		&admissionregistrationv1.MutatingAdmissionPolicyBinding{}, &admissionregistrationv1.MutatingAdmissionPolicyBindingList{},
		&admissionregistrationv1.ValidatingWebhookConfiguration{}, &admissionregistrationv1.ValidatingWebhookConfigurationList{},
		&admissionregistrationv1.MutatingWebhookConfiguration{}, &admissionregistrationv1.MutatingWebhookConfigurationList{},
	},
}

func init() {
	for gv, kinds := range servedKinds {
		Scheme.AddKnownTypes(gv, kinds...)
		Scheme.AddKnownTypes(schema.GroupVersion{Group: gv.Group, Version: runtime.APIVersionInternal}, kinds...)
		metav1.AddToGroupVersion(Scheme, gv)
		externalScheme.AddKnownTypes(gv, kinds...)
	}
	metav1.AddToGroupVersion(Scheme, schema.GroupVersion{Version: "v1"})
	unversioned := schema.GroupVersion{Group: "", Version: "v1"}
	Scheme.AddUnversionedTypes(unversioned, &metav1.Status{}, &metav1.APIVersions{}, &metav1.APIGroupList{},
		&metav1.APIGroup{}, &metav1.APIResourceList{})
	addDefaultingFuncs(Scheme)
}

// DefinitionNamer names OpenAPI definitions and tags each served kind with its group, version and kind.
func DefinitionNamer() *openapinamer.DefinitionNamer {
	return openapinamer.NewDefinitionNamer(externalScheme)
}

// InternalVersion returns the hub version of a group in Scheme.
func InternalVersion(group string) schema.GroupVersion {
	return schema.GroupVersion{Group: group, Version: runtime.APIVersionInternal}
}

// ServedGroups are the API groups Gantry serves natively in every workspace; a CRD may not claim them.
func ServedGroups() []string {
	groups := []string{"", "apiextensions.k8s.io", "autoscaling", "apidiscovery.k8s.io"}
	for gv := range servedKinds {
		groups = append(groups, gv.Group)
	}
	return groups
}

// subresourceKinds are served kinds that are no resource of their own but a subresource of another.
var subresourceKinds = map[string]bool{"TokenRequest": true}

// ServedResources returns, per API group, the resources Gantry serves natively in every workspace (without their
// subresources), from the same lists as ServedGroups: the typed kinds, and CustomResourceDefinitions. Groups
// served without resources of their own are absent.
func ServedResources() map[string][]string {
	out := map[string][]string{}
	for gv, kinds := range servedKinds {
		for _, obj := range kinds {
			kind := reflect.TypeOf(obj).Elem().Name()
			if strings.HasSuffix(kind, "List") || subresourceKinds[kind] {
				continue
			}
			plural, _ := meta.UnsafeGuessKindToResource(gv.WithKind(kind))
			out[gv.Group] = append(out[gv.Group], plural.Resource)
		}
	}
	out[apiextensionsv1.GroupName] = append(out[apiextensionsv1.GroupName], "customresourcedefinitions")
	for group := range out {
		sort.Strings(out[group])
	}
	return out
}

// Reserved says which resources no CRD or binding may serve because Gantry serves them itself: every resource of
// a reserved group, except in the core group (""), where only the resources Gantry serves (namespaces, configmaps,
// secrets, serviceaccounts, events) are reserved. A core-group resource Gantry does not serve (services,
// persistentvolumeclaims, ...) may thus be served from a binding, in the workspaces that bind it.
type Reserved struct {
	groups map[string]bool
	core   map[string]bool
}

// NewReserved returns the reservation of groups (ServedGroups), with the core group's own resources from
// ServedResources.
func NewReserved(groups []string) Reserved {
	r := Reserved{groups: map[string]bool{}, core: map[string]bool{}}
	for _, g := range groups {
		r.groups[g] = true
	}
	for _, resource := range ServedResources()[""] {
		r.core[resource] = true
	}
	return r
}

// Resource reports whether a resource of group is Gantry's own.
func (r Reserved) Resource(group, resource string) bool {
	if group == "" {
		return r.groups[""] && r.core[resource]
	}
	return r.groups[group]
}

// Group reports whether every resource of group is Gantry's own, which is never so for the core group.
func (r Reserved) Group(group string) bool {
	return group != "" && r.groups[group]
}
