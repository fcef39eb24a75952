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
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/gantry-dev/gantry/pkg/workloop"
)

// eventSourceComponent starts the source component of the events the syncer copies up; the target's name follows.
const eventSourceComponent = FieldManager

// DownstreamEventAnnotation on a copied event names the downstream event it was first copied from (namespace/name).
const DownstreamEventAnnotation = "compute.gantry.dev/downstream-event"

// unmappedEventGrace is how long an event whose object the caches cannot map up yet is tried again: a pod's event
// may come before the pod reaches the metadata cache. Older ones are about objects that are not ours.
const unmappedEventGrace = time.Minute

// copiedEvent is what was last written upstream for one upstream event.
type copiedEvent struct {
	count int32
	last  metav1.Time
}

// copy copies one downstream Warning event up: created once under a name stable for what happened (the object,
// the reason, the message), then patched with the count and last time of every downstream event that says the same
// about the same object, so that a repeat bumps the one upstream event rather than adding another.
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
	all, err := c.events.Events(ev.Namespace).List(labels.Everything())
	if err != nil {
		return err
	}
	up := upstreamEvent(c.s.name, subject, ev, sameOccurrences(ev, all))
	key := subject.cluster + "|" + up.Namespace + "/" + up.Name
	if prev, ok := c.copied.Load(key); ok {
		last := prev.(copiedEvent)
		if last.count >= up.Count && !last.last.Before(&up.LastTimestamp) {
			return nil // nothing new; a downstream event that expired never lowers the count
		}
		up.Count = max(up.Count, last.count)
	}
	client, err := c.client(subject.cluster)
	if err != nil {
		return err
	}
	events := client.CoreV1().Events(up.Namespace)
	_, err = events.Create(ctx, up, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		patch, _ := json.Marshal(map[string]interface{}{"count": up.Count, "lastTimestamp": up.LastTimestamp})
		_, err = events.Patch(ctx, up.Name, types.MergePatchType, patch, metav1.PatchOptions{})
	}
	if err != nil {
		return fmt.Errorf("copying event %s/%s up to %s: %w", ev.Namespace, ev.Name, key, err)
	}
	c.copied.Store(key, copiedEvent{up.Count, up.LastTimestamp})
	return nil
}

// sameOccurrences returns the Warning events of events that say what ev says about the same object: repeats of
// one occurrence, whether the downstream recorder counted them in one event or wrote several.
func sameOccurrences(ev *corev1.Event, events []*corev1.Event) []*corev1.Event {
	var out []*corev1.Event
	for _, other := range events {
		if other.Type == ev.Type && other.Reason == ev.Reason && other.Message == ev.Message && other.InvolvedObject == ev.InvolvedObject {
			out = append(out, other)
		}
	}
	if len(out) == 0 {
		out = append(out, ev)
	}
	return out
}

// upstreamEvent is the event on subject that the downstream events same (ev and its repeats) are copied to. Its
// name is derived from the workspace, the target, the upstream object and what the events say, so that every repeat
// is the same upstream event; it counts them all, whether each counts the old way (count) or in a series.
func upstreamEvent(target string, subject upstreamSubject, ev *corev1.Event, same []*corev1.Event) *corev1.Event {
	obj := subject.object
	message := downstreamMessage(ev)
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s", subject.cluster, target, obj.GetUID(), ev.Reason, message)
	prefix := obj.GetName()
	if len(prefix) > 200 {
		prefix = prefix[:200]
	}
	var count int32
	var first, last metav1.Time
	for _, e := range same {
		count += eventCount(e)
		if f := firstSeen(e); first.IsZero() || f.Before(&first) {
			first = f
		}
		if l := lastSeen(e); last.Before(&l) {
			last = l
		}
	}
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", prefix, h.Sum64()), Namespace: obj.GetNamespace(),
			Annotations: map[string]string{DownstreamEventAnnotation: ev.Namespace + "/" + ev.Name}},
		InvolvedObject: corev1.ObjectReference{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(),
			Name: obj.GetName(), UID: obj.GetUID()},
		Reason:              ev.Reason,
		Message:             message,
		Type:                ev.Type,
		Count:               count,
		FirstTimestamp:      first,
		LastTimestamp:       last,
		Source:              corev1.EventSource{Component: eventSourceComponent + "/" + target},
		ReportingController: eventSourceComponent,
		ReportingInstance:   target,
	}
}

// firstSeen is when a downstream event first happened, whichever way it records that.
func firstSeen(ev *corev1.Event) metav1.Time {
	first := ev.FirstTimestamp
	if first.IsZero() {
		first = metav1.NewTime(ev.EventTime.Time)
	}
	if first.IsZero() {
		first = ev.CreationTimestamp
	}
	return metav1.NewTime(first.Truncate(time.Second))
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
