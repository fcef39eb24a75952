package placement

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/json"
	"k8s.io/klog/v2"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// ConditionDrained is the Placement condition that says whether a drained target's copies are gone: False while
// they wait for their replacements to be Ready. It appears with the first drain.
const ConditionDrained = "Drained"

// The reasons of the Drained condition.
const (
	// ReasonWaitingForReplacements: a draining target keeps its copies until every object is Ready on the chosen
	// targets; the message says how many are and names one that is not.
	ReasonWaitingForReplacements = "WaitingForReplacements"
	// ReasonNoReplacement: nothing replaces a draining target, so its copies stay (a planned move never removes
	// the last copies).
	ReasonNoReplacement = "NoReplacement"
	// ReasonDrainComplete: every drained target has left, its objects Ready elsewhere.
	ReasonDrainComplete = "DrainComplete"
)

// EventTargetDraining: a chosen target turned unschedulable while Ready; its copies stay until the replacements
// are Ready.
const EventTargetDraining = "TargetDraining"

// drainPoll is how often a Placement with draining targets looks at its objects' readiness on the chosen targets:
// the views the syncers write are not watched by this controller.
const drainPoll = 2 * time.Second

// settleDrains lets the draining targets of d leave once every object the Placement places is Ready on each
// chosen target, and at least one target is chosen; until then they keep draining. It returns the Drained
// condition to write (without times), nil when the Placement never drained.
func (c *Controller) settleDrains(ctx context.Context, cluster logicalcluster.Name, p *computev1alpha1.Placement, d *decision) (*metav1.Condition, error) {
	if len(d.draining) == 0 {
		if len(p.Status.DrainingTargets) == 0 {
			return nil, nil // never drained, or the condition already says how the last drain ended
		}
		return &metav1.Condition{Type: ConditionDrained, Status: metav1.ConditionTrue, Reason: ReasonDrainComplete,
			Message: "no target is draining"}, nil // ended otherwise: uncordoned and chosen again, evicted, or unusable
	}
	names := drainingList(d.draining)
	if len(d.chosen) == 0 {
		return &metav1.Condition{Type: ConditionDrained, Status: metav1.ConditionFalse, Reason: ReasonNoReplacement,
			Message: fmt.Sprintf("no other target fits: the copies stay on %s until one does (%s)", names, d.message)}, nil
	}
	location := c.locationOf(p)
	progress, err := c.readiness(ctx, cluster, p, string(location), d.chosen)
	if err != nil {
		return nil, err
	}
	klog.FromContext(ctx).V(2).Info("drain progress", "placement", p.Name, "workspace", cluster, "draining", names,
		"objects", progress.objects, "ready", progress.ready, "waiting", progress.firstWaiting)
	if !progress.done() {
		return &metav1.Condition{Type: ConditionDrained, Status: metav1.ConditionFalse, Reason: ReasonWaitingForReplacements,
			Message: fmt.Sprintf("the copies stay on %s until every object is Ready on %s: %s", names, targetNames(d.chosen), progress)}, nil
	}
	for _, t := range d.draining {
		d.left = append(d.left, leftTarget{name: t.target.Name,
			why: fmt.Sprintf("%s, drained: every object is Ready on %s", t.why, targetNames(d.chosen))})
	}
	d.draining = nil
	return &metav1.Condition{Type: ConditionDrained, Status: metav1.ConditionTrue, Reason: ReasonDrainComplete,
		Message: fmt.Sprintf("%s drained: %d objects Ready on %s", names, progress.objects, targetNames(d.chosen))}, nil
}

// readinessProgress is how far a Placement's objects are Ready on its chosen targets.
type readinessProgress struct {
	// objects is the number of placed objects; ready of them are Ready on every chosen target.
	objects, ready int
	// firstWaiting says why one object is not Ready yet; empty when all are.
	firstWaiting string
}

func (r readinessProgress) done() bool { return r.ready == r.objects }

func (r readinessProgress) String() string {
	s := fmt.Sprintf("%d of %d objects Ready", r.ready, r.objects)
	if r.firstWaiting != "" {
		s += "; waiting for " + r.firstWaiting
	}
	return s
}

// readiness looks at every placed object of the namespaces the Placement owns, on every chosen target.
func (c *Controller) readiness(ctx context.Context, cluster logicalcluster.Name, p *computev1alpha1.Placement, location string,
	chosen []*computev1alpha1.SyncTarget) (readinessProgress, error) {
	var progress readinessProgress
	client, err := c.config.Clients.Dynamic(string(cluster))
	if err != nil {
		return progress, err
	}
	resources := placedResources(c.config.CRDs, cluster)
	for _, ns := range c.ownedNamespaces(cluster, p) {
		if ns.DeletionTimestamp != nil {
			continue
		}
		for _, r := range resources {
			objects, err := listPlaceable(ctx, client.Resource(r.gvr).Namespace(ns.Name), r.gvr.Resource)
			if err != nil {
				return progress, fmt.Errorf("listing %s in %s: %w", r.gvr.Resource, ns.Name, err)
			}
			for _, obj := range objects {
				if obj.GetDeletionTimestamp() != nil {
					continue
				}
				progress.objects++
				why := ""
				for _, t := range chosen {
					if why = CopyReadiness(obj, location, t.Name, r.status); why != "" {
						why = fmt.Sprintf("%s %s/%s on %s (%s)", r.gvr.Resource, ns.Name, obj.GetName(), t.Name, why)
						break
					}
				}
				if why == "" {
					progress.ready++
				} else if progress.firstWaiting == "" {
					progress.firstWaiting = why
				}
			}
		}
	}
	return progress, nil
}

// CopyReadiness says why the copy of obj on the SyncTarget name of the workspace location is not Ready, or ""
// when it is. A copy is Ready once the target's syncer has taken the object up (its finalizer) and, for a
// resource with a status, the target's view of it (its status annotation while the object runs on several
// targets, else its status) is current and Ready: the Ready, else the Available, condition True, and for
// replicated workloads every replica available.
func CopyReadiness(obj *unstructured.Unstructured, location, name string, hasStatus bool) string {
	if obj.GetLabels()[computev1alpha1.StateLabel(location, name)] != computev1alpha1.ResourceStateSync {
		return "not placed there yet"
	}
	if !slices.Contains(obj.GetFinalizers(), computev1alpha1.SyncerFinalizer(location, name)) {
		return "not taken up by its syncer yet"
	}
	if !hasStatus {
		return ""
	}
	status, ok := targetStatus(obj, computev1alpha1.StatusAnnotation(location, name))
	if !ok {
		return "no status reported yet"
	}
	return StatusReadiness(obj, status)
}

// targetStatus is a target's view of obj: its status annotation while obj runs on several targets, else its status.
func targetStatus(obj *unstructured.Unstructured, annotation string) (map[string]interface{}, bool) {
	if computev1alpha1.SyncStates(obj.GetLabels()) > 1 {
		raw, ok := obj.GetAnnotations()[annotation]
		if !ok {
			return nil, false
		}
		var status map[string]interface{}
		// apimachinery's json keeps integers int64, as unstructured objects hold them.
		if err := json.Unmarshal([]byte(raw), &status); err != nil {
			return nil, false
		}
		return status, true
	}
	status, ok, _ := unstructured.NestedMap(obj.Object, "status")
	return status, ok && len(status) > 0
}

// StatusReadiness says why a status of obj is not Ready, or "" when it is: it must have observed obj's
// generation (when it says which it observed), carry a True Ready condition (else a True Available one, when it
// has either), and, when obj has spec.replicas, count as many available (else ready) replicas.
func StatusReadiness(obj *unstructured.Unstructured, status map[string]interface{}) string {
	if observed, found, err := unstructured.NestedInt64(status, "observedGeneration"); found && err == nil && observed < obj.GetGeneration() {
		return fmt.Sprintf("status of generation %d, the object is at %d", observed, obj.GetGeneration())
	}
	for _, conditionType := range []string{"Ready", "Available"} {
		if c, ok := findStatusCondition(status, conditionType); ok {
			if c["status"] != "True" {
				return strings.TrimSpace(fmt.Sprintf("%s=%v %v", conditionType, c["status"], c["message"]))
			}
			break
		}
	}
	want, found, err := unstructured.NestedInt64(obj.Object, "spec", "replicas")
	if !found || err != nil || want <= 0 {
		return ""
	}
	// A count left out is zero: a controller's first status (a Deployment's "Progressing" alone) has none yet.
	available, hasAvailable, _ := unstructured.NestedInt64(status, "availableReplicas")
	if !hasAvailable {
		available, _, _ = unstructured.NestedInt64(status, "readyReplicas")
	}
	if available < want {
		return fmt.Sprintf("%d of %d replicas available", available, want)
	}
	return ""
}

// findStatusCondition returns the condition of the given type among status.conditions.
func findStatusCondition(status map[string]interface{}, conditionType string) (map[string]interface{}, bool) {
	conditions, _, _ := unstructured.NestedSlice(status, "conditions")
	for _, raw := range conditions {
		if c, ok := raw.(map[string]interface{}); ok && c["type"] == conditionType {
			return c, true
		}
	}
	return nil, false
}

func hasCondition(p *computev1alpha1.Placement, conditionType string) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == conditionType {
			return true
		}
	}
	return false
}

func drainingList(draining []drainingTarget) string {
	out := make([]string, 0, len(draining))
	for _, d := range draining {
		out = append(out, d.target.Name)
	}
	return strings.Join(out, ", ")
}

func targetNames(chosen []*computev1alpha1.SyncTarget) string {
	out := make([]string, 0, len(chosen))
	for _, t := range chosen {
		out = append(out, t.Name)
	}
	return strings.Join(out, ", ")
}
