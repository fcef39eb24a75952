package syncer

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// maxOwnerDepth bounds the walk up the owner chain (a pod, its ReplicaSet, its Deployment, a synced object, with
// room to spare); owner references may form a cycle.
const maxOwnerDepth = 6

// upstreamSubject is the upstream object a downstream event is about: an object placed on this target.
type upstreamSubject struct {
	cluster string
	object  *unstructured.Unstructured
}

// subjectOf walks from a downstream event's object up its controller owners to the first of our copies, and
// returns the upstream object that copy was made from; false when the chain reaches none (not ours, or a cache
// that has not seen an object yet).
func (c *eventCopier) subjectOf(ref corev1.ObjectReference) (upstreamSubject, bool) {
	apiVersion, kind, name, uid := ref.APIVersion, ref.Kind, ref.Name, ref.UID
	for range maxOwnerDepth {
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil {
			return upstreamSubject{}, false
		}
		gvk := gv.WithKind(kind)
		if subject, found, ok := c.upstreamOfCopy(gvk, ref.Namespace, name, uid); found {
			return subject, ok
		}
		owner, ok := c.controllerOf(gvk, ref.Namespace, name, uid)
		if !ok {
			return upstreamSubject{}, false
		}
		apiVersion, kind, name, uid = owner.APIVersion, owner.Kind, owner.Name, owner.UID
	}
	return upstreamSubject{}, false
}

// upstreamOfCopy looks for a copy of ours of kind gvk: found says whether one is there, ok whether its upstream
// object is known too.
func (c *eventCopier) upstreamOfCopy(gvk schema.GroupVersionKind, namespace, name string, uid types.UID) (subject upstreamSubject, found, ok bool) {
	for _, r := range c.s.resources() {
		if r.gvr.Group != gvk.Group {
			continue
		}
		copied := c.s.cachedCopy(r, namespace, name)
		if copied == nil || copied.GetKind() != gvk.Kind || string(uid) != "" && string(copied.GetUID()) != string(uid) {
			continue
		}
		locator, err := ParseObjectLocator(copied.GetAnnotations()[UpstreamAnnotation])
		if err != nil {
			return upstreamSubject{}, true, false
		}
		up, exists := r.upstream.Get(locator.Cluster, locator.Namespace, locator.Name)
		upstream, isU := up.(*unstructured.Unstructured)
		if !exists || !isU {
			return upstreamSubject{}, true, false
		}
		return upstreamSubject{cluster: locator.Cluster, object: upstream}, true, true
	}
	return upstreamSubject{}, false, false
}

// controllerOf returns the controller owner reference of a pod, ReplicaSet or Deployment, as the metadata caches
// hold it; false for other kinds, missing objects, a different UID, or no controller.
func (c *eventCopier) controllerOf(gvk schema.GroupVersionKind, namespace, name string, uid types.UID) (metav1.OwnerReference, bool) {
	lister, known := c.owners[gvk]
	if !known {
		return metav1.OwnerReference{}, false
	}
	obj, err := lister.ByNamespace(namespace).Get(name)
	if err != nil {
		return metav1.OwnerReference{}, false
	}
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok || string(uid) != "" && string(m.UID) != string(uid) {
		return metav1.OwnerReference{}, false
	}
	if owner := metav1.GetControllerOfNoCopy(m); owner != nil {
		return *owner, true
	}
	return metav1.OwnerReference{}, false
}
