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
	// ReasonBound: as many targets as spec.clusters asks for are chosen.
	ReasonBound = "TargetChosen"
	// ReasonNotEnoughTargets: some targets are chosen, fewer than spec.clusters; the message says why the others
	// do not fit.
	ReasonNotEnoughTargets = "NotEnoughTargets"
	// ReasonNoUsableTarget: the location workspace holds no selected target the owner may use (or does not exist,
	// which reads the same).
	ReasonNoUsableTarget = "NoUsableTarget"
	// ReasonSpreadLabelMissing: spec.spreadBy names a label no usable target has, so none can be chosen.
	ReasonSpreadLabelMissing = "SpreadLabelMissing"
	// ReasonNoReadyTarget: every usable target is not Ready.
	ReasonNoReadyTarget = "NoReadyTarget"
	// ReasonAllUnschedulable: every usable, Ready target is marked unschedulable.
	ReasonAllUnschedulable = "AllUnschedulable"
	// ReasonInsufficientGPUs: no usable, Ready, schedulable target has as many free GPUs as the placed objects
	// request.
	ReasonInsufficientGPUs = "InsufficientGPUs"
)

// candidate is a SyncTarget the Placement's location selector matches, and whether the owner may use it.
type candidate struct {
	target *computev1alpha1.SyncTarget
	mayUse bool
}

// request is what a Placement asks of the scheduler.
type request struct {
	// current are the names of the targets chosen before, in choice order.
	current []string
	// draining are the names of the targets that were draining before.
	draining []string
	// clusters is how many targets to choose.
	clusters int
	// spreadBy is the label whose values the chosen targets must not share; empty: none.
	spreadBy string
	// gpuDemand returns the GPUs the placed objects request, which a target must have free to be added (a kept
	// target already counts them as requested). Called at most once, and only when a target is to be added: it
	// reads every placed object. Nil: none.
	gpuDemand func() int64
}

// decision is what the scheduler chose, in choice order, and why it chose fewer than asked when it did.
type decision struct {
	chosen  []*computev1alpha1.SyncTarget
	reason  string
	message string
	// left are the current targets no longer chosen, each with why: a move.
	left []leftTarget
	// draining are the targets being moved off while Ready (unschedulable): not chosen, but their copies stay
	// until every object is Ready on the chosen ones (the controller decides when, handover_step.go).
	draining []drainingTarget
	// recheckAfter, when positive, is when a chosen target that is not Ready reaches its evictAfter: the decision
	// may change then without any object changing.
	recheckAfter time.Duration
}

// leftTarget is a target that was chosen and is not any more.
type leftTarget struct {
	name string
	// evicted: it was not Ready for longer than its evictAfter.
	evicted bool
	why     string
}

// drainingTarget is a target being moved off: its copies stay until their replacements are Ready.
type drainingTarget struct {
	target *computev1alpha1.SyncTarget
	why    string
}

// choose picks req.clusters distinct targets among the candidates the owner may use.
//
// A current choice stays while it is schedulable and working: Ready, or not Ready for less than its evictAfter (no
// evictAfter: a missed heartbeat alone never moves objects), so that choices do not flap. Missing ones are then
// added among the Ready, schedulable targets with as many free GPUs as the placed objects request (req.gpuDemand),
// most free GPUs first, ties broken by name. With spreadBy, a target without the label is never chosen, and none
// shares its value with one chosen before it.
//
// A current choice that turns unschedulable while Ready is a planned move (a drain): it leaves the chosen ones but
// drains, its copies staying, until the controller sees every object Ready on the chosen targets. A draining
// target stops draining when it is chosen again, or leaves at once when it is evicted or no longer usable.
func choose(req request, candidates []candidate, now time.Time) decision {
	if req.clusters < 1 {
		req.clusters = 1
	}
	s := &selection{req: req, taken: map[string]bool{}, spreadTaken: map[string]string{}}
	usable, usableList := usableTargets(candidates)
	s.keepCurrent(usable, now)
	s.keepDraining(usable, now)
	unfit := s.fillUp(usableList)
	s.dropChosenFromDraining()
	s.conclude(usableList, unfit)
	return s.decision
}

// selection is choose's work in progress: the decision so far, and what its chosen targets hold.
type selection struct {
	req request
	decision
	taken       map[string]bool   // names of the chosen targets
	spreadTaken map[string]string // value of spreadBy -> the chosen target that holds it
	demand      *int64            // req.gpuDemand's answer, once asked
	// shortOfGPUs: a target that fits otherwise was refused for want of free GPUs.
	shortOfGPUs bool
}

// usableTargets returns the candidates the Placement's owner may use, by name and as a list.
func usableTargets(candidates []candidate) (map[string]*computev1alpha1.SyncTarget, []*computev1alpha1.SyncTarget) {
	usable := map[string]*computev1alpha1.SyncTarget{}
	var list []*computev1alpha1.SyncTarget
	for _, c := range candidates {
		if c.mayUse {
			usable[c.target.Name] = c.target
			list = append(list, c.target)
		}
	}
	return usable, list
}

// take chooses t.
func (s *selection) take(t *computev1alpha1.SyncTarget) {
	s.chosen = append(s.chosen, t)
	s.taken[t.Name] = true
	if s.req.spreadBy != "" {
		s.spreadTaken[t.Labels[s.req.spreadBy]] = t.Name
	}
}

// placedGPUs is the GPUs the placed objects request, asked of req.gpuDemand the first time only.
func (s *selection) placedGPUs() int64 {
	if s.demand == nil {
		var n int64
		if s.req.gpuDemand != nil {
			n = s.req.gpuDemand()
		}
		s.demand = &n
	}
	return *s.demand
}

// gpuShortage says why t has too few free GPUs to be added; empty when it has enough, or drains (its copies still
// run there, so its requested GPUs count them already).
func (s *selection) gpuShortage(t *computev1alpha1.SyncTarget) string {
	if s.isDraining(t.Name) {
		return ""
	}
	free, demand := freeGPUs(t), s.placedGPUs()
	if demand == 0 || free >= demand {
		return ""
	}
	s.shortOfGPUs = true
	return fmt.Sprintf("%d GPUs free, the placed objects request %d (%s)", free, demand, computev1alpha1.GPUResource)
}

// spreadConflict says why t cannot join the chosen ones under spreadBy; empty when it can.
func (s *selection) spreadConflict(t *computev1alpha1.SyncTarget) string {
	if s.req.spreadBy == "" {
		return ""
	}
	value, ok := t.Labels[s.req.spreadBy]
	if !ok {
		return fmt.Sprintf("no label %s", s.req.spreadBy)
	}
	if holder, taken := s.spreadTaken[value]; taken {
		return fmt.Sprintf("%s=%s is taken by %s", s.req.spreadBy, value, holder)
	}
	return ""
}

// keepCurrent keeps each current choice that still works, records why each other one left, and when the earliest
// kept but not Ready target runs out of its evictAfter.
func (s *selection) keepCurrent(usable map[string]*computev1alpha1.SyncTarget, now time.Time) {
	for _, name := range s.req.current {
		if s.taken[name] {
			continue
		}
		t, ok := usable[name]
		conflict := ""
		if ok {
			conflict = s.spreadConflict(t)
		}
		switch {
		case !ok:
			s.left = append(s.left, leftTarget{name: name, why: "no longer selected, or no longer usable by the Placement's owner"})
		case t.Spec.Unschedulable && synctarget.IsReady(t):
			s.draining = append(s.draining, drainingTarget{target: t, why: "unschedulable"})
		case t.Spec.Unschedulable:
			s.left = append(s.left, leftTarget{name: name, why: "unschedulable, and not Ready"})
		case evicted(t, now):
			s.left = append(s.left, leftTarget{name: name, evicted: true, why: fmt.Sprintf("not Ready for longer than its evictAfter (%s)", t.Spec.EvictAfter.Duration)})
		case conflict != "":
			s.left = append(s.left, leftTarget{name: name, why: conflict})
		case len(s.chosen) >= s.req.clusters:
			s.left = append(s.left, leftTarget{name: name, why: fmt.Sprintf("more than the %d clusters asked for", s.req.clusters)})
		default:
			s.take(t)
			if wait := untilEvicted(t, now); wait > 0 && (s.recheckAfter == 0 || wait < s.recheckAfter) {
				s.recheckAfter = wait
			}
		}
	}
}

// keepDraining keeps draining each target that drained before and is not current: while it is usable and not
// evicted (a draining target whose syncer stops is evicted like a chosen one, so that a drain never waits on a
// dead cluster beyond its evictAfter).
func (s *selection) keepDraining(usable map[string]*computev1alpha1.SyncTarget, now time.Time) {
	for _, name := range s.req.draining {
		if s.taken[name] || s.isDraining(name) {
			continue
		}
		t, ok := usable[name]
		switch {
		case !ok:
			s.left = append(s.left, leftTarget{name: name, why: "no longer selected, or no longer usable by the Placement's owner"})
		case evicted(t, now):
			s.left = append(s.left, leftTarget{name: name, evicted: true, why: fmt.Sprintf("not Ready for longer than its evictAfter (%s)", t.Spec.EvictAfter.Duration)})
		default:
			s.draining = append(s.draining, drainingTarget{target: t, why: "unschedulable"})
			if wait := untilEvicted(t, now); wait > 0 && (s.recheckAfter == 0 || wait < s.recheckAfter) {
				s.recheckAfter = wait
			}
		}
	}
}

// isDraining reports whether the named target is draining already.
func (s *selection) isDraining(name string) bool {
	for _, d := range s.draining {
		if d.target.Name == name {
			return true
		}
	}
	return false
}

// dropChosenFromDraining ends the drain of a target chosen again (uncordoned while draining, say): it simply stays.
func (s *selection) dropChosenFromDraining() {
	kept := s.draining[:0]
	for _, d := range s.draining {
		if !s.taken[d.target.Name] {
			kept = append(kept, d)
		}
	}
	s.draining = kept
}

// fillUp adds the best fitting usable targets until req.clusters are chosen, and returns why each other usable one
// does not fit ("name: why"), sorted. It sorts usableList, most free GPUs first.
func (s *selection) fillUp(usableList []*computev1alpha1.SyncTarget) []string {
	sort.SliceStable(usableList, func(i, j int) bool {
		fi, fj := freeGPUs(usableList[i]), freeGPUs(usableList[j])
		if fi != fj {
			return fi > fj
		}
		return usableList[i].Name < usableList[j].Name
	})
	var unfit []string
	for _, t := range usableList {
		if s.taken[t.Name] {
			continue
		}
		why, conflict := "", s.spreadConflict(t)
		switch {
		case !synctarget.IsReady(t):
			why = "not Ready"
		case t.Spec.Unschedulable:
			why = "unschedulable"
		case conflict != "":
			why = conflict
		case len(s.chosen) >= s.req.clusters:
			continue // fits, but not needed
		default:
			if why = s.gpuShortage(t); why == "" {
				s.take(t)
				continue
			}
		}
		unfit = append(unfit, t.Name+": "+why)
	}
	sort.Strings(unfit)
	return unfit
}

// conclude sets the decision's reason and message: Bound, NotEnoughTargets with why the others do not fit, or why
// nothing fits.
func (s *selection) conclude(usableList []*computev1alpha1.SyncTarget, unfit []string) {
	chosen := s.chosen
	switch {
	case len(chosen) == s.req.clusters:
		s.reason, s.message = ReasonBound, chosenMessage(chosen)
	case len(chosen) > 0:
		s.reason = ReasonNotEnoughTargets
		s.message = fmt.Sprintf("%d of %d targets fit: %s", len(chosen), s.req.clusters, chosenMessage(chosen))
		if len(unfit) > 0 {
			s.message += "; " + strings.Join(unfit, "; ")
		} else {
			s.message += "; no other usable SyncTarget is selected"
		}
	default:
		s.reason, s.message = nothingFits(s.req, usableList, unfit)
		if s.reason == ReasonAllUnschedulable && s.shortOfGPUs {
			s.reason = ReasonInsufficientGPUs
			s.message = fmt.Sprintf("no usable, Ready SyncTarget has free GPUs for the %d (%s) the placed objects request: %s",
				s.placedGPUs(), computev1alpha1.GPUResource, strings.Join(unfit, "; "))
		}
	}
}

// nothingFits is the reason and message of a Placement none of whose targets fits.
func nothingFits(req request, usable []*computev1alpha1.SyncTarget, unfit []string) (string, string) {
	var ready, labeled []*computev1alpha1.SyncTarget
	for _, t := range usable {
		if synctarget.IsReady(t) {
			ready = append(ready, t)
		}
		if _, ok := t.Labels[req.spreadBy]; ok {
			labeled = append(labeled, t)
		}
	}
	switch {
	case len(usable) == 0:
		return ReasonNoUsableTarget, "no SyncTarget of the location workspace matches the location selector " +
			"and may be used by the Placement's owner: it needs the verb \"use\" on synctargets there"
	case req.spreadBy != "" && len(labeled) == 0:
		return ReasonSpreadLabelMissing, fmt.Sprintf("spreadBy names the label %s, which no usable SyncTarget has: %s",
			req.spreadBy, names(usable))
	case len(ready) == 0:
		return ReasonNoReadyTarget, "no usable SyncTarget is Ready: " + names(usable)
	}
	return ReasonAllUnschedulable, "no usable, Ready SyncTarget fits: " + strings.Join(unfit, "; ")
}

// evicted reports whether a target has been not Ready for longer than its evictAfter.
func evicted(t *computev1alpha1.SyncTarget, now time.Time) bool {
	ready := meta.FindStatusCondition(t.Status.Conditions, synctarget.ConditionReady)
	if ready == nil || ready.Status == "True" {
		return false
	}
	return t.Spec.EvictAfter != nil && now.Sub(ready.LastTransitionTime.Time) > t.Spec.EvictAfter.Duration
}

// untilEvicted is how long until a target that is not Ready is evicted; zero when it is Ready, has no evictAfter
// or is evicted already.
func untilEvicted(t *computev1alpha1.SyncTarget, now time.Time) time.Duration {
	ready := meta.FindStatusCondition(t.Status.Conditions, synctarget.ConditionReady)
	if ready == nil || ready.Status == "True" || t.Spec.EvictAfter == nil {
		return 0
	}
	wait := ready.LastTransitionTime.Add(t.Spec.EvictAfter.Duration).Sub(now)
	if wait <= 0 {
		return 0
	}
	return wait + time.Second // past the deadline, not on it
}

// freeGPUs is the number of GPUs a target reports allocatable and not requested.
func freeGPUs(t *computev1alpha1.SyncTarget) int64 {
	var free int64
	for _, g := range t.Status.GPUs {
		free += g.Allocatable - g.Requested
	}
	return free
}

// chosenMessage names the chosen targets and their free GPUs, in choice order.
func chosenMessage(chosen []*computev1alpha1.SyncTarget) string {
	out := make([]string, 0, len(chosen))
	for _, t := range chosen {
		out = append(out, fmt.Sprintf("%s (%d GPUs free)", t.Name, freeGPUs(t)))
	}
	return "placed on " + strings.Join(out, ", ")
}

func names(targets []*computev1alpha1.SyncTarget) string {
	out := make([]string, 0, len(targets))
	for _, t := range targets {
		out = append(out, t.Name)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
