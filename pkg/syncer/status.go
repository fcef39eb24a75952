package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

// syncStatus reports the downstream copy's status up, through the virtual workspace. An object placed on this
// target alone gets it as its status (through the status subresource); an object placed on several gets it in this
// target's status annotation instead, and Gantry writes the aggregate of the views as its status, so that the
// syncers never overwrite each other. A copy without a status (just created or recreated) never clears what is
// upstream, and a resource without a status subresource has no status to report.
func (s *Syncer) syncStatus(ctx context.Context, r *resource, upstream, downstream *unstructured.Unstructured) error {
	if !r.status || downstream == nil {
		return nil
	}
	downstream = s.withSchedulingCondition(r.gvr.Group, downstream)
	if computev1alpha1.SyncStates(upstream.GetLabels()) > 1 {
		return s.syncStatusAnnotation(ctx, r, upstream, downstream)
	}
	if _, had := upstream.GetAnnotations()[s.statusAnnotation]; had {
		// Placed on several targets before: the view would go stale now that this target writes the status.
		obj := upstream.DeepCopy()
		dropAnnotation(obj, s.statusAnnotation)
		updated, err := s.updateUpstream(ctx, r, obj)
		if err != nil {
			return fmt.Errorf("removing the status annotation of %s %s|%s/%s: %w", r.gvr.Resource, clusterOf(upstream), upstream.GetNamespace(), upstream.GetName(), err)
		}
		upstream = updated
	}
	status, changed := StatusToCopy(upstream, downstream)
	if !changed {
		return nil
	}
	obj := upstream.DeepCopy()
	obj.Object["status"] = status
	w, err := s.writer(clusterOf(upstream))
	if err != nil {
		return err
	}
	if _, err := w.Resource(r.gvr).Namespace(obj.GetNamespace()).UpdateStatus(ctx, obj, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("writing the status of %s %s|%s/%s: %w", r.gvr.Resource, clusterOf(upstream), upstream.GetNamespace(), upstream.GetName(), err)
	}
	return nil
}

// syncStatusAnnotation writes the downstream status into this target's status annotation when it differs.
func (s *Syncer) syncStatusAnnotation(ctx context.Context, r *resource, upstream, downstream *unstructured.Unstructured) error {
	view, changed, err := StatusAnnotationToWrite(upstream, downstream, s.statusAnnotation)
	if err != nil || !changed {
		return err
	}
	obj := upstream.DeepCopy()
	annotations := obj.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[s.statusAnnotation] = view
	obj.SetAnnotations(annotations)
	if _, err := s.updateUpstream(ctx, r, obj); err != nil {
		return fmt.Errorf("writing the status annotation of %s %s|%s/%s: %w", r.gvr.Resource, clusterOf(upstream), upstream.GetNamespace(), upstream.GetName(), err)
	}
	return nil
}

// StatusAnnotationToWrite returns the downstream object's status as JSON (its observedGeneration translated, as
// by StatusToCopy), for the status annotation named annotation, and whether it must be written: when the copy has a
// status and the annotation does not hold it yet.
func StatusAnnotationToWrite(upstream, downstream *unstructured.Unstructured, annotation string) (string, bool, error) {
	view, ok := translatedStatus(downstream)
	if !ok {
		return "", false, nil
	}
	raw, err := json.Marshal(view) // map keys sorted: the same status always gives the same text
	if err != nil {
		return "", false, fmt.Errorf("encoding the downstream status: %w", err)
	}
	if upstream.GetAnnotations()[annotation] == string(raw) {
		return "", false, nil
	}
	return string(raw), true, nil
}

// StatusToCopy returns the downstream object's status, its observedGeneration translated to the upstream
// generation (TranslateObservedGeneration), and whether it must be written upstream: when it has one and it
// differs from the upstream object's.
func StatusToCopy(upstream, downstream *unstructured.Unstructured) (interface{}, bool) {
	status, ok := translatedStatus(downstream)
	if !ok {
		return nil, false
	}
	up, _, _ := unstructured.NestedFieldNoCopy(upstream.Object, "status")
	if equality.Semantic.DeepEqual(up, status) {
		return nil, false
	}
	return status, true
}

// translatedStatus returns a copy of the downstream object's status with its observedGeneration translated
// (TranslateObservedGeneration), and false when the copy is nil or has no status, or an empty one.
func translatedStatus(downstream *unstructured.Unstructured) (interface{}, bool) {
	if downstream == nil {
		return nil, false
	}
	down, found, _ := unstructured.NestedFieldNoCopy(downstream.Object, "status")
	if !found || down == nil {
		return nil, false
	}
	m, isMap := down.(map[string]interface{})
	if isMap && len(m) == 0 {
		return nil, false
	}
	status := runtimeDeepCopy(down)
	if isMap {
		TranslateObservedGeneration(downstream, status.(map[string]interface{}))
	}
	return status, true
}

// TranslateObservedGeneration rewrites status.observedGeneration, which counts the downstream copy's generations,
// into the upstream generation the syncer applied (UpstreamGenerationAnnotation), so that upstream readers can
// compare it with the upstream metadata.generation. It does so only when the status is current (it observed the
// copy's present generation): an older downstream generation has no known upstream one, and is left as it is.
func TranslateObservedGeneration(downstream *unstructured.Unstructured, status map[string]interface{}) {
	observed, found, err := unstructured.NestedInt64(status, "observedGeneration")
	if !found || err != nil || observed != downstream.GetGeneration() {
		return
	}
	upstream, err := strconv.ParseInt(downstream.GetAnnotations()[UpstreamGenerationAnnotation], 10, 64)
	if err != nil || upstream <= 0 {
		return
	}
	status["observedGeneration"] = upstream
}

// dropAnnotation removes the annotation key from obj and reports whether it was there.
func dropAnnotation(obj *unstructured.Unstructured, key string) bool {
	annotations := obj.GetAnnotations()
	if _, had := annotations[key]; !had {
		return false
	}
	delete(annotations, key)
	obj.SetAnnotations(annotations)
	return true
}
