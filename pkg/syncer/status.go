package syncer

import (
	"context"
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// syncStatus copies the downstream copy's status up when it differs, through the virtual workspace's status
// subresource. A copy without a status (just created or recreated) never clears the upstream one, and a resource
// without a status subresource has no status to write.
func (s *Syncer) syncStatus(ctx context.Context, r *resource, upstream, downstream *unstructured.Unstructured) error {
	if !r.status {
		return nil
	}
	status, changed := StatusToCopy(upstream, s.withSchedulingCondition(r.gvr.Group, downstream))
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

// StatusToCopy returns the downstream object's status, its observedGeneration translated to the upstream
// generation (TranslateObservedGeneration), and whether it must be written upstream: when it has one and it
// differs from the upstream object's.
func StatusToCopy(upstream, downstream *unstructured.Unstructured) (interface{}, bool) {
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
	up, _, _ := unstructured.NestedFieldNoCopy(upstream.Object, "status")
	if equality.Semantic.DeepEqual(up, status) {
		return nil, false
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
