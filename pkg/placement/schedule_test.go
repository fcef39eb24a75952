package placement

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/tools/record"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/synctarget"
)

var now = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func target(name string, ready bool, free int64) *computev1alpha1.SyncTarget {
	t := &computev1alpha1.SyncTarget{ObjectMeta: metav1.ObjectMeta{Name: name}}
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	t.Status.Conditions = []metav1.Condition{{Type: synctarget.ConditionReady, Status: status, LastTransitionTime: metav1.NewTime(now.Add(-time.Minute))}}
	t.Status.GPUs = []computev1alpha1.GPUUsage{{Product: "H100", Capacity: 8, Allocatable: 8, Requested: 8 - free}}
	return t
}

func usable(targets ...*computev1alpha1.SyncTarget) []candidate {
	out := make([]candidate, 0, len(targets))
	for _, t := range targets {
		out = append(out, candidate{target: t, mayUse: true})
	}
	return out
}

// one asks for a single target, current being the one chosen before (empty: none).
func one(current string) request {
	r := request{clusters: 1}
	if current != "" {
		r.current = []string{current}
	}
	return r
}

func drainingNames(d decision) []string {
	out := []string{}
	for _, t := range d.draining {
		out = append(out, t.target.Name)
	}
	return out
}

func chosenNames(d decision) []string {
	out := []string{}
	for _, t := range d.chosen {
		out = append(out, t.Name)
	}
	return out
}

func TestChoosePrefersReadySchedulableWithFreeGPUs(t *testing.T) {
	cordoned := target("c-cordoned", true, 8)
	cordoned.Spec.Unschedulable = true
	d := choose(one(""), usable(target("a-full", true, 0), target("b-down", false, 8), cordoned, target("d-free", true, 3)), now)
	assert.Equal(t, []string{"d-free"}, chosenNames(d), "the Ready, schedulable target with the most free GPUs")
	d = choose(one(""), usable(target("b", true, 2), target("a", true, 2)), now)
	assert.Equal(t, []string{"a"}, chosenNames(d), "ties broken by name")
}

func TestChooseKeepsAWorkingChoice(t *testing.T) {
	d := choose(one("a"), usable(target("a", true, 0), target("b", true, 8)), now)
	assert.Equal(t, []string{"a"}, chosenNames(d), "no flapping to the target with more free GPUs")

	down := target("a", false, 8)
	d = choose(one("a"), usable(down, target("b", true, 8)), now)
	assert.Equal(t, []string{"a"}, chosenNames(d), "without evictAfter a missed heartbeat alone does not move objects")
	assert.Zero(t, d.recheckAfter)
	down.Spec.EvictAfter = &metav1.Duration{Duration: 30 * time.Second}
	d = choose(one("a"), usable(down, target("b", true, 8)), now)
	assert.Equal(t, []string{"b"}, chosenNames(d), "not Ready for longer than evictAfter: moved")
	if assert.Len(t, d.left, 1) {
		assert.True(t, d.left[0].evicted)
	}

	down.Spec.EvictAfter = &metav1.Duration{Duration: 5 * time.Minute}
	d = choose(one("a"), usable(down, target("b", true, 8)), now)
	assert.Equal(t, []string{"a"}, chosenNames(d), "not Ready for less than evictAfter: kept")
	assert.Equal(t, 4*time.Minute+time.Second, d.recheckAfter, "looked at again once evictAfter has passed")

	cordoned := target("a", true, 8)
	cordoned.Spec.Unschedulable = true
	d = choose(one("a"), usable(cordoned, target("b", true, 1)), now)
	assert.Equal(t, []string{"b"}, chosenNames(d), "an unschedulable target is replaced")
	assert.Equal(t, []string{"a"}, drainingNames(d), "while Ready, it drains")
}

func TestChooseSaysWhyNothingFits(t *testing.T) {
	d := choose(one(""), nil, now)
	assert.Empty(t, d.chosen)
	assert.Equal(t, ReasonNoUsableTarget, d.reason)

	d = choose(one(""), []candidate{{target: target("a", true, 8), mayUse: false}}, now)
	assert.Equal(t, ReasonNoUsableTarget, d.reason, "a target the owner may not use is not a candidate")
	assert.Contains(t, d.message, `"use"`)

	d = choose(one(""), usable(target("a", false, 8)), now)
	assert.Equal(t, ReasonNoReadyTarget, d.reason)
	assert.Contains(t, d.message, "a")

	cordoned := target("a", true, 8)
	cordoned.Spec.Unschedulable = true
	d = choose(one(""), usable(cordoned), now)
	assert.Equal(t, ReasonAllUnschedulable, d.reason)
	assert.Contains(t, d.message, "a: unschedulable")
}

// labeled returns a target with the given labels.
func labeled(tg *computev1alpha1.SyncTarget, kv ...string) *computev1alpha1.SyncTarget {
	tg.Labels = map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		tg.Labels[kv[i]] = kv[i+1]
	}
	return tg
}

func TestChooseN(t *testing.T) {
	const region = "topology.gantry.dev/region"
	evictable := func(name string) *computev1alpha1.SyncTarget {
		tg := target(name, false, 8)
		tg.Spec.EvictAfter = &metav1.Duration{Duration: 30 * time.Second}
		return tg
	}
	cordoned := func(name string, free int64) *computev1alpha1.SyncTarget {
		tg := target(name, true, free)
		tg.Spec.Unschedulable = true
		return tg
	}
	for _, tc := range []struct {
		name       string
		req        request
		candidates []candidate
		want       []string
		reason     string
		message    []string // substrings of the Ready message
		left       []string
		draining   []string
	}{{
		name:       "two of three, most free GPUs first",
		req:        request{clusters: 2},
		candidates: usable(target("a", true, 1), target("b", true, 8), target("c", true, 4)),
		want:       []string{"b", "c"}, reason: ReasonBound, message: []string{"placed on b (8 GPUs free), c (4 GPUs free)"},
	}, {
		name:       "working choices stay, in their order, though others have more free GPUs",
		req:        request{clusters: 2, current: []string{"c", "a"}},
		candidates: usable(target("a", true, 0), target("b", true, 8), target("c", true, 1)),
		want:       []string{"c", "a"}, reason: ReasonBound,
	}, {
		name:       "a missing target is added next to the one kept",
		req:        request{clusters: 3, current: []string{"a"}},
		candidates: usable(target("a", true, 0), target("b", true, 2), target("c", true, 5)),
		want:       []string{"a", "c", "b"}, reason: ReasonBound,
	}, {
		name:       "an unschedulable target is replaced by a third, and drains while Ready",
		req:        request{clusters: 2, current: []string{"a", "b"}},
		candidates: usable(target("a", true, 8), cordoned("b", 8), target("c", true, 1)),
		want:       []string{"a", "c"}, reason: ReasonBound, draining: []string{"b"},
	}, {
		name:       "an unschedulable target that is not Ready leaves at once",
		req:        request{clusters: 2, current: []string{"a", "b"}},
		candidates: usable(target("a", true, 8), func() *computev1alpha1.SyncTarget { b := target("b", false, 8); b.Spec.Unschedulable = true; return b }(), target("c", true, 1)),
		want:       []string{"a", "c"}, reason: ReasonBound, left: []string{"b"},
	}, {
		name:       "a draining target keeps draining",
		req:        request{clusters: 1, current: []string{"c"}, draining: []string{"b"}},
		candidates: usable(cordoned("b", 8), target("c", true, 1)),
		want:       []string{"c"}, reason: ReasonBound, draining: []string{"b"},
	}, {
		name:       "the only target drains with nothing to replace it",
		req:        request{clusters: 1, current: []string{"b"}},
		candidates: usable(cordoned("b", 8)),
		want:       []string{}, reason: ReasonAllUnschedulable, draining: []string{"b"},
	}, {
		name:       "a draining target uncordoned is chosen again when one is missing",
		req:        request{clusters: 2, current: []string{"c"}, draining: []string{"b"}},
		candidates: usable(target("b", true, 8), target("c", true, 1)),
		want:       []string{"c", "b"}, reason: ReasonBound,
	}, {
		name:       "a draining target that is evicted leaves",
		req:        request{clusters: 1, current: []string{"c"}, draining: []string{"b"}},
		candidates: usable(func() *computev1alpha1.SyncTarget { b := evictable("b"); b.Spec.Unschedulable = true; return b }(), target("c", true, 1)),
		want:       []string{"c"}, reason: ReasonBound, left: []string{"b"},
	}, {
		name:       "a draining target the owner may no longer use leaves",
		req:        request{clusters: 1, current: []string{"c"}, draining: []string{"b"}},
		candidates: append(usable(target("c", true, 1)), candidate{target: cordoned("b", 8)}),
		want:       []string{"c"}, reason: ReasonBound, left: []string{"b"},
	}, {
		name:       "an evicted target is replaced",
		req:        request{clusters: 2, current: []string{"a", "b"}},
		candidates: usable(target("a", true, 8), evictable("b"), target("c", true, 1)),
		want:       []string{"a", "c"}, reason: ReasonBound, left: []string{"b"},
	}, {
		name:       "without a replacement the survivor stays: 1 of 2 fit, and why not the others",
		req:        request{clusters: 2, current: []string{"a", "b"}},
		candidates: usable(target("a", true, 8), evictable("b"), cordoned("c", 8), target("d", false, 8)),
		want:       []string{"a"}, reason: ReasonNotEnoughTargets,
		message: []string{"1 of 2 targets fit: placed on a (8 GPUs free)", "b: not Ready", "c: unschedulable", "d: not Ready"},
		left:    []string{"b"},
	}, {
		name:       "fewer usable targets than asked",
		req:        request{clusters: 3},
		candidates: append(usable(target("a", true, 8)), candidate{target: target("secret", true, 8)}),
		want:       []string{"a"}, reason: ReasonNotEnoughTargets,
		message: []string{"1 of 3 targets fit", "no other usable SyncTarget is selected"},
	}, {
		name:       "a target the owner may no longer use is left",
		req:        request{clusters: 2, current: []string{"a", "b"}},
		candidates: append(usable(target("a", true, 8), target("c", true, 0)), candidate{target: target("b", true, 8)}),
		want:       []string{"a", "c"}, reason: ReasonBound, left: []string{"b"},
	}, {
		name:       "fewer clusters asked: the first chosen stay",
		req:        request{clusters: 1, current: []string{"b", "a"}},
		candidates: usable(target("a", true, 8), target("b", true, 0)),
		want:       []string{"b"}, reason: ReasonBound, left: []string{"a"},
	}, {
		name: "spreadBy refuses two targets of one region",
		req:  request{clusters: 2, spreadBy: region},
		candidates: usable(labeled(target("eu-1", true, 8), region, "eu"), labeled(target("eu-2", true, 7), region, "eu"),
			labeled(target("none", true, 8))),
		want: []string{"eu-1"}, reason: ReasonNotEnoughTargets,
		message: []string{"1 of 2 targets fit", "eu-2: " + region + "=eu is taken by eu-1", "none: no label " + region},
	}, {
		name: "spreadBy picks distinct regions",
		req:  request{clusters: 2, spreadBy: region},
		candidates: usable(labeled(target("eu-1", true, 8), region, "eu"), labeled(target("eu-2", true, 7), region, "eu"),
			labeled(target("us-1", true, 1), region, "us")),
		want: []string{"eu-1", "us-1"}, reason: ReasonBound,
	}, {
		name: "spreadBy added later leaves a current target that shares a region",
		req:  request{clusters: 2, spreadBy: region, current: []string{"eu-1", "eu-2"}},
		candidates: usable(labeled(target("eu-1", true, 8), region, "eu"), labeled(target("eu-2", true, 7), region, "eu"),
			labeled(target("us-1", true, 1), region, "us")),
		want: []string{"eu-1", "us-1"}, reason: ReasonBound, left: []string{"eu-2"},
	}, {
		name:       "spreadBy on a label no usable target has",
		req:        request{clusters: 2, spreadBy: "zone"},
		candidates: usable(labeled(target("a", true, 8), region, "eu"), labeled(target("b", true, 8), region, "us")),
		want:       []string{}, reason: ReasonSpreadLabelMissing, message: []string{"spreadBy names the label zone", "a, b"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d := choose(tc.req, tc.candidates, now)
			assert.Equal(t, tc.want, chosenNames(d))
			assert.Equal(t, tc.reason, d.reason)
			for _, m := range tc.message {
				assert.Contains(t, d.message, m)
			}
			left := []string{}
			for _, l := range d.left {
				left = append(left, l.name)
			}
			if tc.left == nil {
				tc.left = []string{}
			}
			assert.Equal(t, tc.left, left)
			if tc.draining == nil {
				tc.draining = []string{}
			}
			assert.Equal(t, tc.draining, drainingNames(d))
		})
	}
}

func TestChooseFitsTheGPUDemand(t *testing.T) {
	cordoned := target("c", true, 8)
	cordoned.Spec.Unschedulable = true
	for _, tc := range []struct {
		name       string
		req        request
		demand     int64
		candidates []candidate
		want       []string
		reason     string
		message    []string // substrings of the Ready message
		asked      int      // how often the demand is read
	}{{
		name: "a target is added only with as many free GPUs as the objects request", req: request{clusters: 1}, demand: 4,
		candidates: usable(target("a", true, 2), target("b", true, 4)),
		want:       []string{"b"}, reason: ReasonBound, asked: 1,
	}, {
		name: "fewer fit: the message says how many GPUs are free and requested", req: request{clusters: 2}, demand: 4,
		candidates: usable(target("a", true, 2), target("b", true, 8)),
		want:       []string{"b"}, reason: ReasonNotEnoughTargets, asked: 1,
		message: []string{"1 of 2 targets fit: placed on b (8 GPUs free)", "a: 2 GPUs free, the placed objects request 4 (nvidia.com/gpu)"},
	}, {
		name: "more than any target has free: InsufficientGPUs, naming each", req: request{clusters: 1}, demand: 10,
		candidates: usable(target("a", true, 2), target("b", true, 8), target("d", false, 8)),
		want:       []string{}, reason: ReasonInsufficientGPUs, asked: 1,
		message: []string{"no usable, Ready SyncTarget has free GPUs for the 10 (nvidia.com/gpu) the placed objects request",
			"a: 2 GPUs free, the placed objects request 10", "b: 8 GPUs free, the placed objects request 10", "d: not Ready"},
	}, {
		name: "short of GPUs beside an unschedulable one is still for GPUs", req: request{clusters: 1}, demand: 4,
		candidates: usable(cordoned, target("a", true, 2)),
		want:       []string{}, reason: ReasonInsufficientGPUs, asked: 1,
		message: []string{"a: 2 GPUs free, the placed objects request 4", "c: unschedulable"},
	}, {
		name: "a kept target stays though its GPUs are taken (by the placed objects themselves)", demand: 4,
		req:        request{clusters: 1, current: []string{"a"}},
		candidates: usable(target("a", true, 0), target("b", true, 8)),
		want:       []string{"a"}, reason: ReasonBound, asked: 0,
	}, {
		name: "a draining target chosen again needs no free GPUs for the copies it still runs", demand: 4,
		req:        request{clusters: 1, draining: []string{"a"}},
		candidates: usable(target("a", true, 0), target("c", true, 2)),
		want:       []string{"a"}, reason: ReasonBound, asked: 1,
	}, {
		name: "objects requesting no GPUs fit a target without free GPUs", req: request{clusters: 1}, demand: 0,
		candidates: usable(target("a", true, 0)),
		want:       []string{"a"}, reason: ReasonBound, asked: 1,
	}, {
		name: "the demand is read once however many targets are added", req: request{clusters: 3}, demand: 2,
		candidates: usable(target("a", true, 8), target("b", true, 2), target("c", true, 1), target("d", true, 4)),
		want:       []string{"a", "d", "b"}, reason: ReasonBound, asked: 1,
	}, {
		name: "nothing Ready: the demand is not read", req: request{clusters: 1}, demand: 4,
		candidates: usable(target("a", false, 8)),
		want:       []string{}, reason: ReasonNoReadyTarget, asked: 0,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			asked := 0
			tc.req.gpuDemand = func() int64 { asked++; return tc.demand }
			d := choose(tc.req, tc.candidates, now)
			assert.Equal(t, tc.want, chosenNames(d))
			assert.Equal(t, tc.reason, d.reason)
			for _, m := range tc.message {
				assert.Contains(t, d.message, m)
			}
			assert.Equal(t, tc.asked, asked, "the placed objects are listed only when a target is to be added, once")
		})
	}
}

func TestCurrentTargets(t *testing.T) {
	p := &computev1alpha1.Placement{Spec: computev1alpha1.PlacementSpec{LocationWorkspace: "root:compute"}}
	assert.Empty(t, currentTargets(p))
	p.Status.SelectedTarget = &computev1alpha1.TargetReference{Path: "root:compute", Name: "old"}
	assert.Equal(t, []string{"old"}, currentTargets(p), "a status written before selectedTargets")
	p.Status.SelectedTargets = []computev1alpha1.TargetReference{{Path: "root:compute", Name: "b"}, {Path: "root:other", Name: "x"}, {Path: "root:compute", Name: "a"}}
	assert.Equal(t, []string{"b", "a"}, currentTargets(p), "choice order, and only the current location's")
}

func TestRecordMoves(t *testing.T) {
	recorder := record.NewFakeRecorder(10)
	c := &Controller{events: recorder}
	p := &computev1alpha1.Placement{Spec: computev1alpha1.PlacementSpec{LocationWorkspace: "root:compute"}}
	p.Status.SelectedTargets = []computev1alpha1.TargetReference{{Path: "root:compute", Name: "a"}, {Path: "root:compute", Name: "b"}}
	p.Status.Conditions = []metav1.Condition{{Type: ConditionReady, Status: metav1.ConditionTrue, Reason: ReasonBound}}
	evictedB := target("b", false, 8)
	evictedB.Spec.EvictAfter = &metav1.Duration{Duration: time.Second}
	d := choose(request{clusters: 2, current: currentTargets(p)}, usable(target("a", true, 8), evictedB, target("c", true, 1)), now)
	c.recordMoves("team", p, d)
	inTeam := " map[" + eventWorkspaceAnnotation + ":team]" // each Event names the Placement's workspace, for the sink
	assert.Equal(t, []string{"Normal TargetAdded placed on c (1 GPUs free)" + inTeam,
		"Warning TargetEvicted left b: not Ready for longer than its evictAfter (1s)" + inTeam}, drain(recorder))

	d = choose(request{clusters: 2, current: currentTargets(p)}, usable(target("a", true, 8)), now)
	c.recordMoves("team", p, d)
	events := drain(recorder)
	if assert.Len(t, events, 2) {
		assert.Equal(t, "Warning TargetRemoved left b: no longer selected, or no longer usable by the Placement's owner"+inTeam, events[0])
		assert.Contains(t, events[1], "Warning NotEnoughTargets 1 of 2 targets fit")
	}

	p.Status.SelectedTargets = p.Status.SelectedTargets[:1]
	p.Status.Conditions[0].Reason = ReasonNotEnoughTargets
	c.recordMoves("team", p, choose(request{clusters: 2, current: currentTargets(p)}, usable(target("a", true, 8)), now))
	assert.Empty(t, drain(recorder), "nothing moved and the reason stays: no Event")
}

// drain returns the Events a FakeRecorder holds.
func drain(r *record.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-r.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func TestWorkspaceEventSinkNeedsAWorkspace(t *testing.T) {
	_, _, err := workspaceEventSink{}.target(&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e"}})
	assert.ErrorContains(t, err, "names no workspace")
}

func TestLabelPatch(t *testing.T) {
	a, b := computev1alpha1.StateLabelPrefix+"a", computev1alpha1.StateLabelPrefix+"b"
	sync, del := computev1alpha1.ResourceStateSync, computev1alpha1.ResourceStateDelete
	assert.Empty(t, labelPatch(map[string]string{a: sync}, map[string]string{a: sync}), "nothing to do")
	assert.Equal(t, map[string]interface{}{a: sync}, labelPatch(map[string]string{}, map[string]string{a: sync}), "placed")
	assert.Equal(t, map[string]interface{}{a: del, b: sync}, labelPatch(map[string]string{a: sync}, map[string]string{b: sync}),
		"moved: the old target removes its copy, the new one makes its own")
	assert.Empty(t, labelPatch(map[string]string{a: del}, map[string]string{}), "already leaving")
	assert.Equal(t, map[string]interface{}{a: sync}, labelPatch(map[string]string{a: del}, map[string]string{a: sync}), "back again")
}

func TestOwnerRoundTrip(t *testing.T) {
	u := &user.DefaultInfo{Name: "alice", UID: "1", Groups: []string{"team-a", "system:authenticated"}, Extra: map[string][]string{"k": {"v"}}}
	p := &computev1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{OwnerAnnotation: EncodeOwner(u, "teama")}}}
	got, from, ok := ownerOf(p)
	assert.True(t, ok)
	assert.Equal(t, u, got)
	assert.Equal(t, "teama", string(from))
	p.Annotations[OwnerAnnotation] = "{not json"
	_, _, ok = ownerOf(p)
	assert.False(t, ok, "an unreadable owner may use nothing")
}

func TestPlaceable(t *testing.T) {
	assert.False(t, Placeable("configmaps", "kube-root-ca.crt", ""))
	assert.True(t, Placeable("configmaps", "settings", ""))
	assert.False(t, Placeable("secrets", "t", "kubernetes.io/service-account-token"))
	assert.True(t, Placeable("secrets", "creds", "Opaque"))
	assert.True(t, Placeable("widgets", "kube-root-ca.crt", ""))
}

func TestMayUseConfinesServiceAccounts(t *testing.T) {
	allowAll := authorizer.AuthorizerFunc(func(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
		return authorizer.DecisionAllow, "", nil
	})
	sa := &user.DefaultInfo{Name: "system:serviceaccount:default:deployer"}
	may, err := MayUse(context.Background(), allowAll, sa, "teama", "compute", "gpu")
	require.NoError(t, err)
	assert.False(t, may, "a ServiceAccount of team-a is not the compute workspace's ServiceAccount of the same name")
	may, err = MayUse(context.Background(), allowAll, sa, "compute", "compute", "gpu")
	require.NoError(t, err)
	assert.True(t, may, "in its own workspace it is")
	may, err = MayUse(context.Background(), allowAll, &user.DefaultInfo{Name: "alice"}, "teama", "compute", "gpu")
	require.NoError(t, err)
	assert.True(t, may)
}
