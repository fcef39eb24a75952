package registry

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// addDefaultingFuncs registers, on scheme, the defaults kube-apiserver applies to the built-ins Gantry serves,
// so that the generic decoding path (request bodies, patches, server-side apply, reads from etcd) applies them
// before the strategies validate, as in Kubernetes. The kinds absent here (Role, ClusterRole, ServiceAccount, both
// Events, Lease) have no defaults in Kubernetes either.
func addDefaultingFuncs(scheme *runtime.Scheme) {
	scheme.AddTypeDefaultingFunc(&corev1.Namespace{}, func(obj any) { defaultNamespace(obj.(*corev1.Namespace)) })
	scheme.AddTypeDefaultingFunc(&corev1.NamespaceList{}, func(obj any) {
		for i := range obj.(*corev1.NamespaceList).Items {
			defaultNamespace(&obj.(*corev1.NamespaceList).Items[i])
		}
	})
	scheme.AddTypeDefaultingFunc(&corev1.ConfigMap{}, func(obj any) { defaultConfigMap(obj.(*corev1.ConfigMap)) })
	scheme.AddTypeDefaultingFunc(&corev1.ConfigMapList{}, func(obj any) {
		for i := range obj.(*corev1.ConfigMapList).Items {
			defaultConfigMap(&obj.(*corev1.ConfigMapList).Items[i])
		}
	})
	scheme.AddTypeDefaultingFunc(&corev1.Secret{}, func(obj any) { defaultSecret(obj.(*corev1.Secret)) })
	scheme.AddTypeDefaultingFunc(&corev1.SecretList{}, func(obj any) {
		for i := range obj.(*corev1.SecretList).Items {
			defaultSecret(&obj.(*corev1.SecretList).Items[i])
		}
	})
	scheme.AddTypeDefaultingFunc(&rbacv1.RoleBinding{}, func(obj any) {
		rb := obj.(*rbacv1.RoleBinding)
		defaultBinding(&rb.RoleRef, rb.Subjects)
	})
	scheme.AddTypeDefaultingFunc(&rbacv1.RoleBindingList{}, func(obj any) {
		for i := range obj.(*rbacv1.RoleBindingList).Items {
			rb := &obj.(*rbacv1.RoleBindingList).Items[i]
			defaultBinding(&rb.RoleRef, rb.Subjects)
		}
	})
	scheme.AddTypeDefaultingFunc(&rbacv1.ClusterRoleBinding{}, func(obj any) {
		crb := obj.(*rbacv1.ClusterRoleBinding)
		defaultBinding(&crb.RoleRef, crb.Subjects)
	})
	scheme.AddTypeDefaultingFunc(&rbacv1.ClusterRoleBindingList{}, func(obj any) {
		for i := range obj.(*rbacv1.ClusterRoleBindingList).Items {
			crb := &obj.(*rbacv1.ClusterRoleBindingList).Items[i]
			defaultBinding(&crb.RoleRef, crb.Subjects)
		}
	})
}

// defaultNamespace labels a named namespace with its name (kubernetes.io/metadata.name), so that selectors can
// pick namespaces by name, and makes a namespace without a phase Active. A namespace created with generateName
// gets its label when canonicalized, once it has a name.
func defaultNamespace(ns *corev1.Namespace) {
	labelNamespaceName(ns)
	if ns.Status.Phase == "" {
		ns.Status.Phase = corev1.NamespaceActive
	}
}

// labelNamespaceName sets the kubernetes.io/metadata.name label of a named namespace to its name.
func labelNamespaceName(ns *corev1.Namespace) {
	if ns.Name == "" {
		return
	}
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[corev1.LabelMetadataName] = ns.Name
}

// defaultConfigMap gives a ConfigMap an empty data map, as Kubernetes does.
func defaultConfigMap(cm *corev1.ConfigMap) {
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
}

// defaultSecret makes a Secret without a type Opaque, and moves its write-only stringData into data (a key in both
// takes stringData's value), as Kubernetes' conversion of a request does: stringData is never stored or returned.
func defaultSecret(s *corev1.Secret) {
	if s.Type == "" {
		s.Type = corev1.SecretTypeOpaque
	}
	if len(s.StringData) > 0 && s.Data == nil {
		s.Data = make(map[string][]byte, len(s.StringData))
	}
	for k, v := range s.StringData {
		s.Data[k] = []byte(v)
	}
	s.StringData = nil
}

// defaultBinding fills the API groups a (Cluster)RoleBinding may leave out: the roleRef's is always
// rbac.authorization.k8s.io; a User's or Group's subject is rbac.authorization.k8s.io, a ServiceAccount's the core
// group (""). A subject of another kind is left for validation to refuse.
func defaultBinding(ref *rbacv1.RoleRef, subjects []rbacv1.Subject) {
	if ref.APIGroup == "" {
		ref.APIGroup = rbacv1.GroupName
	}
	for i := range subjects {
		if subjects[i].APIGroup != "" {
			continue
		}
		switch subjects[i].Kind {
		case rbacv1.UserKind, rbacv1.GroupKind:
			subjects[i].APIGroup = rbacv1.GroupName
		}
	}
}
