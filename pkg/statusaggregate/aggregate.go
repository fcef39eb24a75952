package statusaggregate

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/klog/v2"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/sdk"
)

// reconcile writes one object's status as the aggregate of its views, when it is placed on several targets and
// at least two of them reported.
func (c *Controller) reconcile(ctx context.Context, it item) error {
	informer := c.informerOf(it.source)
	if informer == nil {
		return nil // no longer watched: no target syncs the resource
	}
	cluster, namespace, name := sdk.SplitClusterKey(it.key)
	cached, ok := informer.Get(cluster, namespace, name)
	if !ok {
		return nil
	}
	obj := cached.(*unstructured.Unstructured)
	if computev1alpha1.SyncStates(obj.GetLabels()) < 2 {
		return nil // placed on one target: its syncer writes the status itself
	}
	views, err := Views(obj.GetLabels(), obj.GetAnnotations(), c.targetOf)
	if err != nil {
		// Retrying cannot fix what a syncer wrote; its next report replaces it.
		klog.FromContext(ctx).Error(err, "not aggregating", "key", it.key, "resource", it.source.gvr.String())
		return nil
	}
	if len(views) < 2 {
		return nil
	}
	status, err := Merge(it.source.gvr.GroupResource(), views)
	if err != nil {
		klog.FromContext(ctx).Error(err, "not aggregating", "key", it.key, "resource", it.source.gvr.String())
		return nil
	}
	if sameJSON(obj.Object["status"], status) {
		return nil
	}
	updated := obj.DeepCopy()
	updated.Object["status"] = status
	client, err := c.config.Clients.Dynamic(cluster)
	if err != nil {
		return err
	}
	_, err = client.Resource(it.source.gvr).Namespace(namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("writing the aggregate status of %s %s: %w", it.source.gvr.Resource, it.key, err)
	}
	return nil
}

// sameJSON compares two JSON-like values by their encoding, which is indifferent to how numbers were decoded.
func sameJSON(a, b interface{}) bool {
	x, errX := json.Marshal(a)
	y, errY := json.Marshal(b)
	return errX == nil && errY == nil && string(x) == string(y)
}
