package syncer

import (
	"context"
	"fmt"

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

// StatusToCopy returns the downstream object's status and whether it must be written upstream: when it has one
// and it differs from the upstream object's.
func StatusToCopy(upstream, downstream *unstructured.Unstructured) (interface{}, bool) {
	down, found, _ := unstructured.NestedFieldNoCopy(downstream.Object, "status")
	if !found || down == nil {
		return nil, false
	}
	if m, ok := down.(map[string]interface{}); ok && len(m) == 0 {
		return nil, false
	}
	up, _, _ := unstructured.NestedFieldNoCopy(upstream.Object, "status")
	if equality.Semantic.DeepEqual(up, down) {
		return nil, false
	}
	return runtimeDeepCopy(down), true
}
