package placement

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/synctarget"
)

// The reasons of a Placement's Ready condition.
const (
	// ReasonBound: a target is chosen.
	ReasonBound = "TargetChosen"
	// ReasonNoUsableTarget: the location workspace holds no selected target the owner may use (or does not exist,
	// which reads the same).
	ReasonNoUsableTarget = "NoUsableTarget"
	// ReasonNoReadyTarget: every usable target is not Ready.
	ReasonNoReadyTarget = "NoReadyTarget"
	// ReasonAllUnschedulable: every usable, Ready target is marked unschedulable.
	ReasonAllUnschedulable = "AllUnschedulable"
)

// candidate is a SyncTarget the Placement's location selector matches, and whether the owner may use it.
type candidate struct {
	target *computev1alpha1.SyncTarget
	mayUse bool
}

// decision is what the scheduler chose, or why nothing fits.
type decision struct {
	chosen  *computev1alpha1.SyncTarget
	reason  string
	message string
}

// choose picks a target among the candidates. The current choice stays while it is usable, schedulable and
// working: Ready, or not Ready for less than its evictAfter (no evictAfter: a missed heartbeat alone never moves
// objects). Otherwise the Ready, schedulable, usable target with the most free GPUs wins, ties broken by name.
func choose(current string, candidates []candidate, now time.Time) decision {
	var usable, ready, schedulable []*computev1alpha1.SyncTarget
	for _, c := range candidates {
		if !c.mayUse {
			continue
		}
		usable = append(usable, c.target)
		if c.target.Name == current && !c.target.Spec.Unschedulable && !evicted(c.target, now) {
			return decision{chosen: c.target, reason: ReasonBound, message: chosenMessage(c.target)}
		}
		if !synctarget.IsReady(c.target) {
			continue
		}
		ready = append(ready, c.target)
		if !c.target.Spec.Unschedulable {
			schedulable = append(schedulable, c.target)
		}
	}
	switch {
	case len(usable) == 0:
		return decision{reason: ReasonNoUsableTarget, message: "no SyncTarget of the location workspace matches the location selector " +
			"and may be used by the Placement's owner: it needs the verb \"use\" on synctargets there"}
	case len(ready) == 0:
		return decision{reason: ReasonNoReadyTarget, message: "no usable SyncTarget is Ready: " + names(usable)}
	case len(schedulable) == 0:
		return decision{reason: ReasonAllUnschedulable, message: "every usable, Ready SyncTarget is unschedulable: " + names(ready)}
	}
	sort.SliceStable(schedulable, func(i, j int) bool {
		fi, fj := freeGPUs(schedulable[i]), freeGPUs(schedulable[j])
		if fi != fj {
			return fi > fj
		}
		return schedulable[i].Name < schedulable[j].Name
	})
	return decision{chosen: schedulable[0], reason: ReasonBound, message: chosenMessage(schedulable[0])}
}

// evicted reports whether a target has been not Ready for longer than its evictAfter.
func evicted(t *computev1alpha1.SyncTarget, now time.Time) bool {
	ready := meta.FindStatusCondition(t.Status.Conditions, synctarget.ConditionReady)
	if ready == nil || ready.Status == "True" {
		return false
	}
	return t.Spec.EvictAfter != nil && now.Sub(ready.LastTransitionTime.Time) > t.Spec.EvictAfter.Duration
}

// freeGPUs is the number of GPUs a target reports allocatable and not requested.
func freeGPUs(t *computev1alpha1.SyncTarget) int64 {
	var free int64
	for _, g := range t.Status.GPUs {
		free += g.Allocatable - g.Requested
	}
	return free
}

func chosenMessage(t *computev1alpha1.SyncTarget) string {
	return fmt.Sprintf("placed on %s (%d GPUs free)", t.Name, freeGPUs(t))
}

func names(targets []*computev1alpha1.SyncTarget) string {
	out := make([]string, 0, len(targets))
	for _, t := range targets {
		out = append(out, t.Name)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
