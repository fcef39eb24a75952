package syncer

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

// gantryMetadataPrefixes are the label and annotation keys that are Gantry's bookkeeping upstream and mean nothing
// downstream; copying them would also make a downstream copy look placed.
var gantryMetadataPrefixes = []string{computev1alpha1.StateLabelPrefix, "workload.gantry.dev/", computev1alpha1.StatusAnnotationPrefix}

// reconcile brings the downstream copy of one upstream object (and the upstream finalizer and status) to where the
// object's state says.
func (s *Syncer) reconcile(ctx context.Context, k key) error {
	if k.namespaceOnly {
		return s.cleanupNamespace(ctx, k.Namespace)
	}
	r := s.resource(k.GVR)
	if r == nil || r.retired.Load() {
		return nil
	}
	if !r.synced() {
		// Until both caches are full, a missing object may just not be listed yet: deleting its copy would be wrong.
		return errRequeue
	}
	downNS := DownstreamNamespace(k.Cluster, k.Namespace)
	cached, exists := r.upstream.Get(k.Cluster, k.Namespace, k.Name)
	if !exists {
		// Deleted, or no longer placed on this target: nothing may remain downstream.
		return s.removeCopy(ctx, r, downNS, k.Name)
	}
	obj := cached.(*unstructured.Unstructured)
	state := obj.GetLabels()[s.stateLabel]
	switch {
	case obj.GetDeletionTimestamp() != nil || state == computev1alpha1.ResourceStateDelete:
		return s.leave(ctx, r, obj, downNS)
	case state == computev1alpha1.ResourceStateSync:
		return s.sync(ctx, r, obj.DeepCopy())
	default:
		klog.FromContext(ctx).V(2).Info("unknown state; leaving the object alone", "key", k.String(), "state", state)
		return nil
	}
}

// sync runs one placed object downstream: the finalizer first (so that an upstream deletion always waits for the
// copy to go), then the namespace, then the object by server-side apply, then its status back up.
func (s *Syncer) sync(ctx context.Context, r *resource, obj *unstructured.Unstructured) error {
	if !hasString(obj.GetFinalizers(), s.finalizer) {
		obj.SetFinalizers(append(obj.GetFinalizers(), s.finalizer))
		updated, err := s.updateUpstream(ctx, r, obj)
		if err != nil {
			return fmt.Errorf("adding the finalizer: %w", err)
		}
		obj = updated
	}
	ns, err := s.ensureNamespace(ctx, clusterOf(obj), obj.GetNamespace())
	if err != nil {
		return err
	}
	desired := DownstreamObject(obj, ns, s.key)
	live := s.cachedCopy(r, ns, obj.GetName())
	ck := copyKey(r.gvr, ns, obj.GetName())
	var last appliedState
	var known bool
	if live != nil {
		s.applied.seen(ck)
		last, known = s.applied.get(live.GetUID())
	} else if s.applied.justApplied(ck, desired) {
		klog.FromContext(ctx).V(4).Info("downstream copy applied a moment ago, not in the informer yet; not applying", "resource", r.gvr.Resource, "namespace", ns, "name", obj.GetName())
		// No copy in the cache, no status to report: the informer's event for the copy reconciles it again, and
		// should its events be lost, this look once the window is over applies it again.
		s.queue.AddAfter(key{GVR: r.gvr, Cluster: clusterOf(obj), Namespace: obj.GetNamespace(), Name: obj.GetName()}, unseenApplyWindow+time.Second)
		return nil
	}
	if needed, why := applyNeeded(desired, live, last, known); !needed {
		// Most reconciles are echoes of our own writes or status changes: a PATCH for each would only wait for
		// the client's rate limit and load the downstream API server.
		klog.FromContext(ctx).V(4).Info("downstream copy up to date; not applying", "resource", r.gvr.Resource, "namespace", ns, "name", obj.GetName(), "why", why)
		return s.syncStatus(ctx, r, obj, live)
	}
	apply := func() (*unstructured.Unstructured, error) {
		return s.downDynamic.Resource(r.gvr).Namespace(ns).Apply(ctx, obj.GetName(), desired,
			metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	}
	result, err := apply()
	if apierrors.IsNotFound(err) {
		// The namespace cache was behind a deletion: apply the namespace without asking it, then the object again.
		if _, err = s.applyNamespace(ctx, clusterOf(obj), obj.GetNamespace()); err == nil {
			result, err = apply()
		}
	}
	if apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		// The namespace is going (deleted by hand, or emptied a moment ago): once it is gone, the namespace
		// informer re-enqueues this object, and the next try recreates both.
		klog.FromContext(ctx).V(2).Info("downstream namespace terminating; waiting", "namespace", ns, "name", obj.GetName())
		return errRequeue
	}
	if err != nil {
		return fmt.Errorf("the downstream cluster refused %s %s/%s (upstream %s|%s/%s): %w", r.gvr.Resource, ns,
			obj.GetName(), clusterOf(obj), obj.GetNamespace(), obj.GetName(), err)
	}
	s.applied.record(ck, desired, result)
	return s.syncStatus(ctx, r, obj, result)
}

// copyKey names a downstream copy among every resource's: resource, namespace and name.
func copyKey(gvr schema.GroupVersionResource, ns, name string) string {
	return gvr.String() + "|" + ns + "/" + name
}

// cachedCopy is the downstream copy ns/name as the downstream informer has it (read only), or nil.
func (s *Syncer) cachedCopy(r *resource, ns, name string) *unstructured.Unstructured {
	obj, exists, err := r.downstream.GetIndexer().GetByKey(ns + "/" + name)
	if err != nil || !exists {
		return nil
	}
	u, _ := obj.(*unstructured.Unstructured)
	return u
}

// leave removes the downstream copy of an object that is deleted or leaving the target, and only once the copy is
// gone releases the object upstream: its finalizer, its status annotation, and for state Delete its state label,
// in one update.
func (s *Syncer) leave(ctx context.Context, r *resource, obj *unstructured.Unstructured, downNS string) error {
	if err := s.removeCopy(ctx, r, downNS, obj.GetName()); err != nil {
		return err
	}
	released := obj.DeepCopy()
	hadFinalizer := hasString(obj.GetFinalizers(), s.finalizer)
	released.SetFinalizers(withoutString(obj.GetFinalizers(), s.finalizer))
	dropLabel := obj.GetLabels()[s.stateLabel] == computev1alpha1.ResourceStateDelete
	if dropLabel {
		labels := released.GetLabels()
		delete(labels, s.stateLabel)
		released.SetLabels(labels)
	}
	hadView := dropAnnotation(released, s.statusAnnotation)
	if !hadFinalizer && !dropLabel && !hadView {
		return nil
	}
	_, err := s.updateUpstream(ctx, r, released)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// removeCopy deletes the downstream copy (only one carrying our label) and reports errRequeue until the API
// server no longer has it, since downstream finalizers may hold it for a while.
func (s *Syncer) removeCopy(ctx context.Context, r *resource, ns, name string) error {
	client := s.downDynamic.Resource(r.gvr).Namespace(ns)
	current, err := client.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		s.queue.Add(key{Namespace: ns, namespaceOnly: true})
		return nil
	}
	if err != nil {
		return err
	}
	if current.GetLabels()[SyncTargetLabel] != s.key {
		return nil
	}
	if current.GetDeletionTimestamp() == nil {
		klog.FromContext(ctx).Info("deleting downstream copy", "resource", r.gvr.Resource, "namespace", ns, "name", name)
		uid := current.GetUID()
		err = client.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return err
		}
	}
	return errRequeue
}

// updateUpstream writes an upstream object through the virtual workspace, in its own logical cluster.
func (s *Syncer) updateUpstream(ctx context.Context, r *resource, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	w, err := s.writer(clusterOf(obj))
	if err != nil {
		return nil, err
	}
	return w.Resource(r.gvr).Namespace(obj.GetNamespace()).Update(ctx, obj, metav1.UpdateOptions{})
}

// DownstreamObject is what the syncer applies downstream for an upstream object: everything but its status, in
// the downstream namespace ns, with the user's labels and annotations but none of Gantry's or the server's own
// metadata (uid, resourceVersion, managedFields, ownerReferences, finalizers, generation, timestamps), labeled for
// the target and annotated with where it comes from and the upstream generation it carries.
func DownstreamObject(upstream *unstructured.Unstructured, ns, targetKey string) *unstructured.Unstructured {
	out := &unstructured.Unstructured{Object: map[string]interface{}{}}
	for field, value := range upstream.Object {
		if field != "metadata" && field != "status" {
			out.Object[field] = runtimeDeepCopy(value)
		}
	}
	out.SetName(upstream.GetName())
	out.SetNamespace(ns)
	labels := userMetadata(upstream.GetLabels())
	labels[SyncTargetLabel] = targetKey
	out.SetLabels(labels)
	annotations := userMetadata(upstream.GetAnnotations())
	delete(annotations, computev1alpha1.ClusterAnnotation)
	annotations[UpstreamAnnotation] = encodeJSON(ObjectLocator{Cluster: clusterOf(upstream), Namespace: upstream.GetNamespace(), Name: upstream.GetName()})
	if generation := upstream.GetGeneration(); generation > 0 {
		annotations[UpstreamGenerationAnnotation] = strconv.FormatInt(generation, 10)
	}
	out.SetAnnotations(annotations)
	return out
}

// userMetadata copies labels or annotations without Gantry's own keys.
func userMetadata(in map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range in {
		if !hasAnyPrefix(k, gantryMetadataPrefixes) {
			out[k] = v
		}
	}
	return out
}

// runtimeDeepCopy copies a JSON-like value, so that the applied object shares nothing with the informer's cache.
func runtimeDeepCopy(v interface{}) interface{} {
	return (&unstructured.Unstructured{Object: map[string]interface{}{"v": v}}).DeepCopy().Object["v"]
}

func clusterOf(obj metav1.Object) string {
	return obj.GetAnnotations()[computev1alpha1.ClusterAnnotation]
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func withoutString(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
