package syncer

import (
	"context"
	"encoding/json"
	"fmt"

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
		annotations := obj.GetAnnotations()
		delete(annotations, s.statusAnnotation)
		obj.SetAnnotations(annotations)
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

// StatusAnnotationToWrite returns the downstream object's status as JSON, for the status annotation named
// annotation, and whether it must be written: when the copy has a status and the annotation does not hold it yet.
func StatusAnnotationToWrite(upstream, downstream *unstructured.Unstructured, annotation string) (string, bool, error) {
	if downstream == nil {
		return "", false, nil
	}
	down, found, _ := unstructured.NestedFieldNoCopy(downstream.Object, "status")
	if !found || down == nil {
		return "", false, nil
	}
	if m, ok := down.(map[string]interface{}); ok && len(m) == 0 {
		return "", false, nil
	}
	raw, err := json.Marshal(down) // map keys sorted: the same status always gives the same text
	if err != nil {
		return "", false, fmt.Errorf("encoding the downstream status: %w", err)
	}
	if upstream.GetAnnotations()[annotation] == string(raw) {
		return "", false, nil
	}
	return string(raw), true, nil
}

// StatusToCopy returns the downstream object's status and whether it must be written upstream: when it has one
// and it differs from the upstream object's.
func StatusToCopy(upstream, downstream *unstructured.Unstructured) (interface{}, bool) {
	if downstream == nil {
		return nil, false
	}
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
