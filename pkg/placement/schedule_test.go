package placement

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

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

func TestChoosePrefersReadySchedulableWithFreeGPUs(t *testing.T) {
	cordoned := target("c-cordoned", true, 8)
	cordoned.Spec.Unschedulable = true
	d := choose("", usable(target("a-full", true, 0), target("b-down", false, 8), cordoned, target("d-free", true, 3)), now)
	if assert.NotNil(t, d.chosen) {
		assert.Equal(t, "d-free", d.chosen.Name, "the only Ready, schedulable target with free GPUs")
	}
	d = choose("", usable(target("b", true, 2), target("a", true, 2)), now)
	assert.Equal(t, "a", d.chosen.Name, "ties broken by name")
}

func TestChooseKeepsAWorkingChoice(t *testing.T) {
	d := choose("a", usable(target("a", true, 0), target("b", true, 8)), now)
	assert.Equal(t, "a", d.chosen.Name, "no flapping to the target with more free GPUs")

	down := target("a", false, 8)
	d = choose("a", usable(down, target("b", true, 8)), now)
	assert.Equal(t, "a", d.chosen.Name, "without evictAfter a missed heartbeat alone does not move objects")
	down.Spec.EvictAfter = &metav1.Duration{Duration: 30 * time.Second}
	d = choose("a", usable(down, target("b", true, 8)), now)
	assert.Equal(t, "b", d.chosen.Name, "not Ready for longer than evictAfter: moved")

	cordoned := target("a", true, 8)
	cordoned.Spec.Unschedulable = true
	d = choose("a", usable(cordoned, target("b", true, 1)), now)
	assert.Equal(t, "b", d.chosen.Name, "an unschedulable target is left")
}

func TestChooseSaysWhyNothingFits(t *testing.T) {
	d := choose("", nil, now)
	assert.Nil(t, d.chosen)
	assert.Equal(t, ReasonNoUsableTarget, d.reason)

	d = choose("", []candidate{{target: target("a", true, 8), mayUse: false}}, now)
	assert.Equal(t, ReasonNoUsableTarget, d.reason, "a target the owner may not use is not a candidate")
	assert.Contains(t, d.message, `"use"`)

	d = choose("", usable(target("a", false, 8)), now)
	assert.Equal(t, ReasonNoReadyTarget, d.reason)
	assert.Contains(t, d.message, "a")

	cordoned := target("a", true, 8)
	cordoned.Spec.Unschedulable = true
	d = choose("", usable(cordoned), now)
	assert.Equal(t, ReasonAllUnschedulable, d.reason)
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
