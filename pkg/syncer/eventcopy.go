package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gantry-dev/gantry/pkg/workloop"
)

// eventSourceComponent starts the source component of the events the syncer copies up; the target's name follows.
const eventSourceComponent = FieldManager

// DownstreamCountsAnnotation on a copied event tallies the downstream events it stands for: a JSON object from
// each one's UID to its count. The upstream count is their sum, so a repeat, whether the downstream recorder
// counts it in one event or writes another, bumps the one upstream event, and a restarted syncer counts nothing
// twice.
const DownstreamCountsAnnotation = "compute.gantry.dev/downstream-counts"

// maxTallied bounds the tally: beyond it, the smallest counts are folded into one entry, keeping the sum.
const maxTallied = 50

// foldedKey is the tally entry the folded counts go to.
const foldedKey = "earlier"

// unmappedEventGrace is how long an event whose object the caches cannot map up yet is tried again: a pod's event
// may come before the pod reaches the metadata cache. Older ones are about objects that are not ours.
const unmappedEventGrace = time.Minute

// copy copies one downstream Warning event up: created under a name stable for what happened (the upstream object,
// the reason, the message), or else the existing one's tally, count and last time patched.
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
	want := upstreamEvent(c.s.name, subject, ev)
	key := subject.cluster + "|" + want.Namespace + "/" + want.Name
	client, err := c.client(subject.cluster)
	if err != nil {
		return err
	}
	events := client.CoreV1().Events(want.Namespace)
	current, known := c.copied.Load(key)
	if !known {
		created, err := events.Create(ctx, want, metav1.CreateOptions{})
		if err == nil {
			c.copied.Store(key, created)
			return nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("copying event %s/%s up to %s: %w", ev.Namespace, ev.Name, key, err)
		}
		// Written before this syncer started: an empty patch reads it (the view lets the syncer read no events).
		if current, err = events.Patch(ctx, want.Name, types.MergePatchType, []byte(`{}`), metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("reading event %s: %w", key, err)
		}
	}
	updated, err := c.tally(ctx, events, current.(*corev1.Event), ev)
	if err != nil {
		c.copied.Delete(key) // read it again next time
		return fmt.Errorf("counting event %s/%s into %s: %w", ev.Namespace, ev.Name, key, err)
	}
	c.copied.Store(key, updated)
	return nil
}

// tally adds a downstream event's count to an upstream event's tally, and patches it unless nothing changed; the
// patch requires the resource version read, so that two workers never lose each other's counts.
func (c *eventCopier) tally(ctx context.Context, events corev1client.EventInterface, up *corev1.Event, ev *corev1.Event) (*corev1.Event, error) {
	counts := tallyOf(up)
	n, last := eventCount(ev), lastSeen(ev)
	if counts[string(ev.UID)] >= n && !up.LastTimestamp.Before(&last) {
		return up, nil
	}
	counts[string(ev.UID)] = max(counts[string(ev.UID)], n)
	counts = fold(counts)
	var sum int32
	for _, v := range counts {
		sum += v
	}
	if up.LastTimestamp.After(last.Time) {
		last = up.LastTimestamp
	}
	encoded, _ := json.Marshal(counts)
	patch, _ := json.Marshal(map[string]interface{}{
		"metadata": map[string]interface{}{"resourceVersion": up.ResourceVersion,
			"annotations": map[string]string{DownstreamCountsAnnotation: string(encoded)}},
		"count": sum, "lastTimestamp": last,
	})
	return events.Patch(ctx, up.Name, types.MergePatchType, patch, metav1.PatchOptions{})
}

// tallyOf reads an upstream event's tally; one without (or with a broken one) counts as its count so far.
func tallyOf(up *corev1.Event) map[string]int32 {
	counts := map[string]int32{}
	if err := json.Unmarshal([]byte(up.Annotations[DownstreamCountsAnnotation]), &counts); err != nil || counts == nil {
		counts = map[string]int32{}
		if up.Count > 0 {
			counts[foldedKey] = up.Count
		}
	}
	return counts
}

// fold keeps a tally within maxTallied entries: the smallest counts are summed into foldedKey.
func fold(counts map[string]int32) map[string]int32 {
	if len(counts) <= maxTallied {
		return counts
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		if k != foldedKey {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		return counts[keys[i]] > counts[keys[j]] || counts[keys[i]] == counts[keys[j]] && keys[i] < keys[j]
	})
	out := map[string]int32{foldedKey: counts[foldedKey]}
	for i, k := range keys {
		if i < maxTallied-1 {
			out[k] = counts[k]
		} else {
			out[foldedKey] += counts[k]
		}
	}
	return out
}

// upstreamEvent is the event on subject that a downstream event is first copied to. Its name is derived from the
// workspace, the target, the upstream object and what the event says, so that every repeat, from any pod of the
// object, is the same upstream event.
func upstreamEvent(target string, subject upstreamSubject, ev *corev1.Event) *corev1.Event {
	obj := subject.object
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s", subject.cluster, target, obj.GetUID(), ev.Type, ev.Reason, ev.Message)
	prefix := obj.GetName()
	if len(prefix) > 200 {
		prefix = prefix[:200]
	}
	counts, _ := json.Marshal(map[string]int32{string(ev.UID): eventCount(ev)})
	return &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s.%x", prefix, h.Sum64()), Namespace: obj.GetNamespace(),
			Annotations: map[string]string{DownstreamCountsAnnotation: string(counts)}},
		InvolvedObject: corev1.ObjectReference{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(),
			Name: obj.GetName(), UID: obj.GetUID()},
		Reason:              ev.Reason,
		Message:             ev.Message,
		Type:                ev.Type,
		Count:               eventCount(ev),
		FirstTimestamp:      firstSeen(ev),
		LastTimestamp:       lastSeen(ev),
		Source:              corev1.EventSource{Component: eventSourceComponent + "/" + target},
		ReportingController: eventSourceComponent,
		ReportingInstance:   target,
	}
}

// eventCount is how often a downstream event happened: its count, or its series' count, at least once.
func eventCount(ev *corev1.Event) int32 {
	n := ev.Count
	if ev.Series != nil && ev.Series.Count > n {
		n = ev.Series.Count
	}
	return max(n, 1)
}

// firstSeen is when a downstream event first happened, whichever way it records that, in seconds.
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

// lastSeen is when a downstream event last happened, whichever way it records that, in seconds (as upstream
// stores it, so that comparisons see no change where there is none).
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
	return metav1.NewTime(last.Truncate(time.Second))
}
