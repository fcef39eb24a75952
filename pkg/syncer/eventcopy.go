package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/gantry-dev/gantry/pkg/workloop"
)

// eventSourceComponent starts the source component of the events the syncer copies up; the target's name follows.
const eventSourceComponent = FieldManager

// DownstreamEventAnnotation on a copied event names the downstream event it was copied from (namespace/name).
const DownstreamEventAnnotation = "compute.gantry.dev/downstream-event"

// unmappedEventGrace is how long an event whose object the caches cannot map up yet is tried again: a pod's event
// may come before the pod reaches the metadata cache. Older ones are about objects that are not ours.
const unmappedEventGrace = time.Minute

// copiedEvent is what was last written upstream for one downstream event.
type copiedEvent struct {
	count int32
	last  metav1.Time
}

// copy copies one downstream Warning event up: created once under a name stable for the downstream event, then
// patched with its count and last time as the downstream event repeats, so that one repeated event stays one event.
func (c *eventCopier) copy(ctx context.Context, name cache.ObjectName) error {
	ev, err := c.events.Events(name.Namespace).Get(name.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	subject, ok := c.subjectOf(ev.InvolvedObject)
	if !ok {
		if time.Since(lastSeen(ev).Time) < unmappedEventGrace {
			return workloop.Again(5 * time.Second)
		}
		return nil
	}
	up := upstreamEvent(c.s.name, subject, ev)
	if prev, ok := c.copied.Load(ev.UID); ok && prev.(copiedEvent) == (copiedEvent{up.Count, up.LastTimestamp}) {
		return nil
	}
	client, err := c.client(subject.cluster)
	if err != nil {
		return err
	}
	events := client.CoreV1().Events(up.Namespace)
	_, err = events.Create(ctx, up, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		patch, _ := json.Marshal(map[string]interface{}{"count": up.Count, "lastTimestamp": up.LastTimestamp, "message": up.Message})
		_, err = events.Patch(ctx, up.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	}
	if err != nil {
		return fmt.Errorf("copying event %s/%s up to %s|%s/%s: %w", ev.Namespace, ev.Name, subject.cluster, up.Namespace, up.Name, err)
	}
	c.copied.Store(ev.UID, copiedEvent{up.Count, up.LastTimestamp})
	return nil
}

// upstreamEvent is the event on subject that a downstream event is copied to. Its name is derived from the
// target and the downstream event's UID, so that every copy of the same downstream event is the same upstream
// event; its count and times are the downstream event's, whether it counts the old way (count) or in a series.
func upstreamEvent(target string, subject upstreamSubject, ev *corev1.Event) *corev1.Event {
	obj := subject.object
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%s\x00%s\x00%s", subject.cluster, target, ev.UID)
	prefix := obj.GetName()
	if len(prefix) > 200 {
		prefix = prefix[:200]
	}
	first := ev.FirstTimestamp
	if first.IsZero() {
		first = metav1.NewTime(ev.EventTime.Time)
	}
	if first.IsZero() {
		first = ev.CreationTimestamp
	}
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", prefix, h.Sum64()), Namespace: obj.GetNamespace(),
			Annotations: map[string]string{DownstreamEventAnnotation: ev.Namespace + "/" + ev.Name}},
		InvolvedObject: corev1.ObjectReference{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(),
			Name: obj.GetName(), UID: obj.GetUID()},
		Reason:              ev.Reason,
		Message:             downstreamMessage(ev),
		Type:                ev.Type,
		Count:               eventCount(ev),
		FirstTimestamp:      first,
		LastTimestamp:       lastSeen(ev),
		Source:              corev1.EventSource{Component: eventSourceComponent + "/" + target},
		ReportingController: eventSourceComponent,
		ReportingInstance:   target,
	}
}

// downstreamMessage is the downstream message, saying which downstream object it is about when that is not the
// upstream object's copy itself (a pod, a ReplicaSet).
func downstreamMessage(ev *corev1.Event) string {
	return fmt.Sprintf("%s %s: %s", ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Message)
}

// eventCount is how often a downstream event happened: its count, or its series' count, at least once.
func eventCount(ev *corev1.Event) int32 {
	n := ev.Count
	if ev.Series != nil && ev.Series.Count > n {
		n = ev.Series.Count
	}
	return max(n, 1)
}

// lastSeen is when a downstream event last happened, whichever way it records that.
func lastSeen(ev *corev1.Event) metav1.Time {
	last := ev.LastTimestamp
	for _, t := range []time.Time{ev.EventTime.Time, ev.FirstTimestamp.Time, ev.CreationTimestamp.Time} {
		if t.After(last.Time) {
			last = metav1.NewTime(t)
		}
	}
	if ev.Series != nil && ev.Series.LastObservedTime.After(last.Time) {
		last = metav1.NewTime(ev.Series.LastObservedTime.Time)
	}
	// Upstream times are in seconds (metav1.Time): compare what will be stored.
	return metav1.NewTime(last.Truncate(time.Second))
}
