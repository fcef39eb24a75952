package registry

import (
	"fmt"
	"reflect"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/storage"
)

// maxDataSize bounds the payload of a ConfigMap or Secret, as in Kubernetes.
const maxDataSize = corev1.MaxSecretSize

// builtinResources are the Kubernetes resources every workspace serves.
var builtinResources = []resource{
	{
		gvr: corev1.SchemeGroupVersion.WithResource("namespaces"), kind: "Namespace", singular: "namespace",
		shortNames: []string{"ns"},
		newFunc:    func() runtime.Object { return &corev1.Namespace{} },
		newList:    func() runtime.Object { return &corev1.NamespaceList{} },
		rules:      namespaceRules,
	},
	{
		gvr: corev1.SchemeGroupVersion.WithResource("configmaps"), kind: "ConfigMap", singular: "configmap",
		shortNames: []string{"cm"},
		newFunc:    func() runtime.Object { return &corev1.ConfigMap{} },
		newList:    func() runtime.Object { return &corev1.ConfigMapList{} },
		rules: kindRules{namespaced: true, validate: func(obj, old runtime.Object) field.ErrorList {
			cm := obj.(*corev1.ConfigMap)
			errs := validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
			errs = append(errs, validateData(cm.Data, cm.BinaryData)...)
			if old != nil {
				oldCM := old.(*corev1.ConfigMap)
				errs = append(errs, validateImmutable(oldCM.Immutable, cm.Immutable,
					reflect.DeepEqual(oldCM.Data, cm.Data) && reflect.DeepEqual(oldCM.BinaryData, cm.BinaryData))...)
			}
			return errs
		}},
	},
	{
		gvr: corev1.SchemeGroupVersion.WithResource("secrets"), kind: "Secret", singular: "secret",
		newFunc: func() runtime.Object { return &corev1.Secret{} },
		newList: func() runtime.Object { return &corev1.SecretList{} },
		rules: kindRules{namespaced: true,
			// A new Secret's type is defaulted (defaults.go); an update that leaves it out keeps the old one.
			prepareForUpdate: func(obj, old runtime.Object) {
				if s := obj.(*corev1.Secret); s.Type == "" {
					s.Type = old.(*corev1.Secret).Type
				}
			},
			validate: func(obj, old runtime.Object) field.ErrorList {
				s := obj.(*corev1.Secret)
				errs := validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
				errs = append(errs, validateData(s.StringData, s.Data)...)
				if old != nil {
					oldS := old.(*corev1.Secret)
					if oldS.Type != s.Type {
						errs = append(errs, field.Invalid(field.NewPath("type"), s.Type, "field is immutable"))
					}
					errs = append(errs, validateImmutable(oldS.Immutable, s.Immutable, reflect.DeepEqual(oldS.Data, s.Data))...)
				}
				return errs
			}},
	},
	{
		gvr: corev1.SchemeGroupVersion.WithResource("serviceaccounts"), kind: "ServiceAccount", singular: "serviceaccount",
		shortNames: []string{"sa"},
		newFunc:    func() runtime.Object { return &corev1.ServiceAccount{} },
		newList:    func() runtime.Object { return &corev1.ServiceAccountList{} },
		rules:      kindRules{namespaced: true, validate: dnsSubdomainName},
	},
	{
		gvr: corev1.SchemeGroupVersion.WithResource("events"), kind: "Event", singular: "event",
		shortNames: []string{"ev"},
		newFunc:    func() runtime.Object { return &corev1.Event{} },
		newList:    func() runtime.Object { return &corev1.EventList{} },
		rules:      kindRules{namespaced: true, validate: dnsSubdomainName},
		fields:     eventFields,
	},
	{
		gvr: eventsv1.SchemeGroupVersion.WithResource("events"), kind: "Event", singular: "event",
		shortNames: []string{"ev"},
		newFunc:    func() runtime.Object { return &eventsv1.Event{} },
		newList:    func() runtime.Object { return &eventsv1.EventList{} },
		rules:      kindRules{namespaced: true, validate: dnsSubdomainName},
	},
	{
		gvr: coordinationv1.SchemeGroupVersion.WithResource("leases"), kind: "Lease", singular: "lease",
		newFunc: func() runtime.Object { return &coordinationv1.Lease{} },
		newList: func() runtime.Object { return &coordinationv1.LeaseList{} },
		rules:   kindRules{namespaced: true, validate: dnsSubdomainName},
	},
	{
		gvr: rbacv1.SchemeGroupVersion.WithResource("roles"), kind: "Role", singular: "role",
		newFunc: func() runtime.Object { return &rbacv1.Role{} },
		newList: func() runtime.Object { return &rbacv1.RoleList{} },
		rules: kindRules{namespaced: true, validate: func(obj, _ runtime.Object) field.ErrorList {
			return validatePolicyRules(obj.(*rbacv1.Role).Rules, true)
		}},
	},
	{
		gvr: rbacv1.SchemeGroupVersion.WithResource("clusterroles"), kind: "ClusterRole", singular: "clusterrole",
		newFunc: func() runtime.Object { return &rbacv1.ClusterRole{} },
		newList: func() runtime.Object { return &rbacv1.ClusterRoleList{} },
		rules: kindRules{validate: func(obj, _ runtime.Object) field.ErrorList {
			return validatePolicyRules(obj.(*rbacv1.ClusterRole).Rules, false)
		}},
	},
	{
		gvr: rbacv1.SchemeGroupVersion.WithResource("rolebindings"), kind: "RoleBinding", singular: "rolebinding",
		newFunc: func() runtime.Object { return &rbacv1.RoleBinding{} },
		newList: func() runtime.Object { return &rbacv1.RoleBindingList{} },
		rules: kindRules{namespaced: true, validate: func(obj, old runtime.Object) field.ErrorList {
			rb := obj.(*rbacv1.RoleBinding)
			var oldRef *rbacv1.RoleRef
			if old != nil {
				oldRef = &old.(*rbacv1.RoleBinding).RoleRef
			}
			return validateBinding(rb.RoleRef, oldRef, rb.Subjects, "Role", "ClusterRole")
		}},
	},
	{
		gvr: rbacv1.SchemeGroupVersion.WithResource("clusterrolebindings"), kind: "ClusterRoleBinding", singular: "clusterrolebinding",
		newFunc: func() runtime.Object { return &rbacv1.ClusterRoleBinding{} },
		newList: func() runtime.Object { return &rbacv1.ClusterRoleBindingList{} },
		rules: kindRules{validate: func(obj, old runtime.Object) field.ErrorList {
			crb := obj.(*rbacv1.ClusterRoleBinding)
			var oldRef *rbacv1.RoleRef
			if old != nil {
				oldRef = &old.(*rbacv1.ClusterRoleBinding).RoleRef
			}
			return validateBinding(crb.RoleRef, oldRef, crb.Subjects, "ClusterRole")
		}},
	},
}

func dnsSubdomainName(obj, _ runtime.Object) field.ErrorList {
	return validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
}

// validateName applies a kind's name rule; generic metadata validation already ran.
func validateName(obj runtime.Object, rule apimachineryvalidation.ValidateNameFunc) field.ErrorList {
	m, err := meta.Accessor(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("metadata"), err)}
	}
	name := m.GetName()
	var errs field.ErrorList
	for _, msg := range rule(name, false) {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), name, msg))
	}
	return errs
}

// validateData checks the keys and total size of a ConfigMap's or Secret's two data maps.
func validateData[A ~string | ~[]byte, B ~string | ~[]byte](first map[string]A, second map[string]B) field.ErrorList {
	var errs field.ErrorList
	size := 0
	for k, v := range first {
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, msg))
		}
		size += len(v)
	}
	for k, v := range second {
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, msg))
		}
		size += len(v)
	}
	if size > maxDataSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", maxDataSize))
	}
	return errs
}

// validateImmutable enforces `immutable: true` on ConfigMaps and Secrets.
func validateImmutable(oldImmutable, newImmutable *bool, dataUnchanged bool) field.ErrorList {
	if oldImmutable == nil || !*oldImmutable {
		return nil
	}
	var errs field.ErrorList
	if newImmutable == nil || !*newImmutable {
		errs = append(errs, field.Forbidden(field.NewPath("immutable"), "field is immutable when `immutable` is set"))
	}
	if !dataUnchanged {
		errs = append(errs, field.Forbidden(field.NewPath("data"), "field is immutable when `immutable` is set"))
	}
	return errs
}

func validatePolicyRules(rules []rbacv1.PolicyRule, namespaced bool) field.ErrorList {
	var errs field.ErrorList
	for i, r := range rules {
		p := field.NewPath("rules").Index(i)
		if len(r.Verbs) == 0 {
			errs = append(errs, field.Required(p.Child("verbs"), "verbs must contain at least one value"))
		}
		if len(r.NonResourceURLs) > 0 {
			if namespaced {
				errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), r.NonResourceURLs, "namespaced rules cannot apply to non-resource URLs"))
			}
			if len(r.APIGroups) > 0 || len(r.Resources) > 0 || len(r.ResourceNames) > 0 {
				errs = append(errs, field.Invalid(p.Child("nonResourceURLs"), r.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
			}
			continue
		}
		if len(r.APIGroups) == 0 {
			errs = append(errs, field.Required(p.Child("apiGroups"), "resource rules must supply at least one api group"))
		}
		if len(r.Resources) == 0 {
			errs = append(errs, field.Required(p.Child("resources"), "resource rules must supply at least one resource"))
		}
	}
	return errs
}

func validateBinding(ref rbacv1.RoleRef, oldRef *rbacv1.RoleRef, subjects []rbacv1.Subject, allowedKinds ...string) field.ErrorList {
	var errs field.ErrorList
	refPath := field.NewPath("roleRef")
	if ref.APIGroup != rbacv1.GroupName {
		errs = append(errs, field.NotSupported(refPath.Child("apiGroup"), ref.APIGroup, []string{rbacv1.GroupName}))
	}
	kindOK := false
	for _, k := range allowedKinds {
		kindOK = kindOK || ref.Kind == k
	}
	if !kindOK {
		errs = append(errs, field.NotSupported(refPath.Child("kind"), ref.Kind, allowedKinds))
	}
	if ref.Name == "" {
		errs = append(errs, field.Required(refPath.Child("name"), ""))
	}
	if oldRef != nil && *oldRef != ref {
		errs = append(errs, field.Invalid(refPath, ref, "cannot change roleRef"))
	}
	for i, s := range subjects {
		p := field.NewPath("subjects").Index(i)
		if s.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), ""))
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind:
		default:
			errs = append(errs, field.NotSupported(p.Child("kind"), s.Kind,
				[]string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
		}
		if s.Kind == rbacv1.ServiceAccountKind && s.Namespace == "" && len(subjects) > 0 {
			errs = append(errs, field.Required(p.Child("namespace"), fmt.Sprintf("required for kind %s", s.Kind)))
		}
	}
	return errs
}

// resource describes one typed resource served in every workspace.
type resource struct {
	gvr        schema.GroupVersionResource
	kind       string
	singular   string
	shortNames []string
	newFunc    func() runtime.Object
	newList    func() runtime.Object
	rules      kindRules
	// fields, when set, are the fields objects are selected by besides metadata.name and metadata.namespace.
	fields storage.AttrFunc
}
