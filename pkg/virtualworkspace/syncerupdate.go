package virtualworkspace

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

// syncerOwned is what of an object belongs to one SyncTarget's syncer: its finalizer, the annotations whose key
// ends in "/<TargetKey>", and its state label.
type syncerOwned struct {
	finalizer, annotationSuffix, label string
}

func syncerOwnedOf(t Target) syncerOwned {
	return syncerOwned{
		finalizer:        computev1alpha1.SyncerFinalizer(string(t.Cluster), t.Name),
		annotationSuffix: "/" + computev1alpha1.TargetKey(string(t.Cluster), t.Name),
		label:            TargetLabel(t.Cluster, t.Name),
	}
}

// validateSyncerUpdate allows a syncer, compared to the stored object, only to add or remove its finalizer, to
// add, change or remove the annotations whose key ends in "/<TargetKey>", and to remove its state label once its
// value is Delete. Status is not compared: a status subresource resets it on updates of the object itself, and a
// resource without one keeps its status there.
func validateSyncerUpdate(t Target, old, new *unstructured.Unstructured) error {
	owned := syncerOwnedOf(t)
	oldLabel, oldPlaced := old.GetLabels()[owned.label]
	newLabel, newPlaced := new.GetLabels()[owned.label]
	labelAllowed := oldPlaced == newPlaced && oldLabel == newLabel || oldPlaced && oldLabel == computev1alpha1.ResourceStateDelete && !newPlaced
	if labelAllowed && equality.Semantic.DeepEqual(owned.strip(old), owned.strip(new)) {
		return nil
	}
	return fmt.Errorf("a syncer may only add or remove its finalizer %q, set or remove annotations whose key ends in %q, "+
		"and remove its label %q once it is %q", owned.finalizer, owned.annotationSuffix, owned.label, computev1alpha1.ResourceStateDelete)
}

// strip returns the content of obj without what the syncer owns, nor what the server sets on every write
// (resourceVersion, generation, managedFields), nor status, apiVersion and kind; empty labels, annotations and finalizers are dropped.
func (o syncerOwned) strip(obj *unstructured.Unstructured) map[string]interface{} {
	c := &unstructured.Unstructured{Object: obj.DeepCopy().Object}
	c.SetResourceVersion("")
	c.SetGeneration(0)
	c.SetManagedFields(nil)
	delete(c.Object, "status")
	delete(c.Object, "apiVersion") // a typed object's is set on one side only; the resource is the same
	delete(c.Object, "kind")
	labels := c.GetLabels()
	delete(labels, o.label)
	c.SetLabels(nilIfEmpty(labels))
	annotations := c.GetAnnotations()
	for key := range annotations {
		if strings.HasSuffix(key, o.annotationSuffix) {
			delete(annotations, key)
		}
	}
	c.SetAnnotations(nilIfEmpty(annotations))
	finalizers := slices.DeleteFunc(c.GetFinalizers(), func(f string) bool { return f == o.finalizer })
	if len(finalizers) == 0 {
		finalizers = nil
	}
	c.SetFinalizers(finalizers)
	return c.Object
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
