package placement

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk"
)

// The reasons of the Events on a Placement, one per move.
const (
	// EventTargetAdded: a target joined the chosen ones; its syncer now runs the placed objects.
	EventTargetAdded = "TargetAdded"
	// EventTargetRemoved: a chosen target left (unschedulable, no longer selected or usable, or not needed); its
	// syncer removes its copies.
	EventTargetRemoved = "TargetRemoved"
	// EventTargetEvicted: a chosen target was not Ready for longer than its evictAfter and left.
	EventTargetEvicted = "TargetEvicted"
)

// eventWorkspaceAnnotation carries, from the recorder to the sink, the workspace an Event is written to; the sink
// removes it, so that it is never stored.
const eventWorkspaceAnnotation = "compute.gantry.dev/event-workspace"

// recordMoves records an Event on the Placement for every target that joined or left, and one when the Ready
// condition turns to a reason other than TargetChosen (NotEnoughTargets, SpreadLabelMissing, ...).
func (c *Controller) recordMoves(cluster logicalcluster.Name, p *computev1alpha1.Placement, d decision) {
	if c.events == nil {
		return
	}
	at := map[string]string{eventWorkspaceAnnotation: string(cluster)}
	before := currentTargets(p)
	for _, t := range d.chosen {
		if !slices.Contains(before, t.Name) {
			c.events.AnnotatedEventf(p, at, corev1.EventTypeNormal, EventTargetAdded, "placed on %s (%d GPUs free)", t.Name, freeGPUs(t))
		}
	}
	wasDraining := drainingTargets(p)
	for _, t := range d.draining {
		if !slices.Contains(wasDraining, t.target.Name) {
			c.events.AnnotatedEventf(p, at, corev1.EventTypeNormal, EventTargetDraining,
				"moving off %s (%s): its copies stay until every object is Ready on %s", t.target.Name, t.why, orNone(targetNames(d.chosen)))
		}
	}
	for _, l := range d.left {
		reason := EventTargetRemoved
		if l.evicted {
			reason = EventTargetEvicted
		}
		c.events.AnnotatedEventf(p, at, corev1.EventTypeWarning, reason, "left %s: %s", l.name, l.why)
	}
	old := meta.FindStatusCondition(p.Status.Conditions, ConditionReady)
	if d.reason != ReasonBound && (old == nil || old.Reason != d.reason || len(d.left) > 0 || len(d.chosen) != len(before)) {
		c.events.AnnotatedEventf(p, at, corev1.EventTypeWarning, d.reason, "%s", d.message)
	}
}

// workspaceEventSink writes Events to the workspace their annotation names.
type workspaceEventSink struct {
	clients *sdk.Client
}

var _ record.EventSink = workspaceEventSink{}

// target returns the Events client of the event's workspace and the event without the routing annotation.
func (s workspaceEventSink) target(e *corev1.Event) (typedcorev1.EventInterface, *corev1.Event, error) {
	cluster := e.Annotations[eventWorkspaceAnnotation]
	if cluster == "" {
		return nil, nil, fmt.Errorf("event %s names no workspace", e.Name)
	}
	out := e.DeepCopy()
	delete(out.Annotations, eventWorkspaceAnnotation)
	if len(out.Annotations) == 0 {
		out.Annotations = nil
	}
	client, err := s.clients.Kubernetes(cluster)
	if err != nil {
		return nil, nil, err
	}
	return client.CoreV1().Events(e.Namespace), out, nil
}

// Create implements record.EventSink.
func (s workspaceEventSink) Create(e *corev1.Event) (*corev1.Event, error) {
	events, out, err := s.target(e)
	if err != nil {
		return nil, err
	}
	return events.Create(context.TODO(), out, metav1.CreateOptions{})
}

// Update implements record.EventSink.
func (s workspaceEventSink) Update(e *corev1.Event) (*corev1.Event, error) {
	events, out, err := s.target(e)
	if err != nil {
		return nil, err
	}
	return events.Update(context.TODO(), out, metav1.UpdateOptions{})
}

// Patch implements record.EventSink: the recorder's count and time update of a repeated Event.
func (s workspaceEventSink) Patch(e *corev1.Event, data []byte) (*corev1.Event, error) {
	events, _, err := s.target(e)
	if err != nil {
		return nil, err
	}
	return events.Patch(context.TODO(), e.Name, types.StrategicMergePatchType, data, metav1.PatchOptions{})
}

// eventSource names the placement controller as the source of its Events.
var eventSource = corev1.EventSource{Component: "gantry-placement"}

// orNone is s, or "another target" when s is empty (nothing chosen yet).
func orNone(s string) string {
	if s == "" {
		return "another target"
	}
	return s
}
