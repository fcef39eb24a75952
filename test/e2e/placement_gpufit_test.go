package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/test/harness"
)

// readyOf returns a Placement's Ready condition as "reason: message".
func readyOf(t *testing.T, k *harness.Kubectl, name string) string {
	t.Helper()
	return k.MustRun(t, "get", "placement", name, "-o",
		`jsonpath={.status.conditions[?(@.type=='Ready')].reason}: {.status.conditions[?(@.type=='Ready')].message}`)
}

// TestPlacementGPUFit: a target is added only when it has free GPUs for what the placed objects request. Of a real
// 2-GPU cluster and a real 8-GPU one, a 6-GPU Deployment placed on two targets gets only the 8-GPU one (1 of 2
// fit, the message saying how many GPUs the other has free and the objects request) and runs only there; asking
// for more GPUs than any target has free leaves a Placement Unschedulable with InsufficientGPUs; when the 8-GPU
// target is drained its objects are not moved to the 2-GPU one, where they could not run, though it is the only
// other target, and uncordoned it is chosen again though its own copy holds all but 2 of its GPUs.
func TestPlacementGPUFit(t *testing.T) {
	f := startComputeFleet(t, fleetCluster{"small", 2}, fleetCluster{"big", 8})
	compute, computeCluster := f.compute, f.computeCluster
	placement := func(name, clusters string) string { return f.placementYAML(name, "clusters: "+clusters) }

	team, teamNS := f.addTeam(t, "team-a", false)
	team.WithStdin(deploymentYAML(1, 6)).MustRun(t, "apply", "-f", "-")
	team.WithStdin(placement("ha", "2")).MustRun(t, "create", "-f", "-")
	team.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=NotEnoughTargets", "placement/ha", "--timeout=60s")
	assert.Equal(t, "big", team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.selectedTargets[*].name}"),
		"only the 8-GPU target has 6 GPUs free")
	assert.Equal(t, "Bound", team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.phase}"), "the one that fits is used")
	ready := readyOf(t, team, "ha")
	assert.Contains(t, ready, "NotEnoughTargets: 1 of 2 targets fit: placed on big (")
	assert.Contains(t, ready, "small: 2 GPUs free, the placed objects request 6 (nvidia.com/gpu)")

	exists := func(cluster string) bool { return f.available(cluster, teamNS, "llm") >= 0 }
	eventually(t, "llm runs in the 8-GPU cluster", func() bool { return exists("big") })
	assert.False(t, exists("small"), "nothing is sent to the cluster that cannot run it")
	eventually(t, "an Event says why only 1 of 2 fit", func() bool {
		events := placementEvents(t, team, "ha")
		return strings.Contains(events, "Placement NotEnoughTargets: 1 of 2 targets fit") &&
			strings.Contains(events, "small: 2 GPUs free, the placed objects request 6")
	})

	t.Run("more GPUs than any target has free: Unschedulable, InsufficientGPUs", func(t *testing.T) {
		other, _ := f.addTeam(t, "team-b", false)
		other.WithStdin(deploymentYAML(2, 8)).MustRun(t, "apply", "-f", "-")
		other.WithStdin(placement("huge", "1")).MustRun(t, "create", "-f", "-")
		other.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=InsufficientGPUs", "placement/huge", "--timeout=60s")
		assert.Equal(t, "Unschedulable", other.MustRun(t, "get", "placement", "huge", "-o", "jsonpath={.status.phase}"))
		assert.Empty(t, other.MustRun(t, "get", "placement", "huge", "-o", "jsonpath={.status.selectedTargets}"))
		ready := readyOf(t, other, "huge")
		assert.Contains(t, ready, "no usable, Ready SyncTarget has free GPUs for the 16 (nvidia.com/gpu) the placed objects request")
		assert.Contains(t, ready, "small: 2 GPUs free, the placed objects request 16")
		assert.Regexp(t, `big: \d GPUs free, the placed objects request 16`, ready)
		for _, target := range []string{"small", "big"} {
			assert.Equal(t, "", labelOf(t, other, "deployment/llm", computev1alpha1.StateLabel(computeCluster, target)), "nothing is placed")
		}
	})

	t.Run("a drained target's objects do not move to one without the GPUs, and it is chosen again", func(t *testing.T) {
		compute.MustRun(t, "wait", "--for=jsonpath={.status.gpus[0].requested}=6", "synctarget/big", "--timeout=60s")
		compute.MustRun(t, "patch", "synctarget", "big", "--type=merge", "-p", `{"spec":{"unschedulable":true}}`)
		team.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=InsufficientGPUs", "placement/ha", "--timeout=60s")
		assert.Empty(t, team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.selectedTargets}"), "small is not chosen")
		ready := readyOf(t, team, "ha")
		assert.Contains(t, ready, "big: unschedulable")
		assert.Contains(t, ready, "small: 2 GPUs free, the placed objects request 6 (nvidia.com/gpu)")
		team.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Drained')].reason}=NoReplacement", "placement/ha", "--timeout=60s")
		assert.True(t, exists("big"), "with no replacement the drained copy stays")
		assert.False(t, exists("small"), "nothing is sent to the cluster that cannot run it")

		// Uncordoned, big has 2 GPUs free, fewer than the 6 requested, but they are its own copy's: it is chosen again.
		compute.MustRun(t, "patch", "synctarget", "big", "--type=merge", "-p", `{"spec":{"unschedulable":false}}`)
		team.MustRun(t, "wait", "--for=jsonpath={.status.selectedTargets[0].name}=big", "placement/ha", "--timeout=60s")
		assert.True(t, exists("big"), "the copy never left")
		assert.Equal(t, "6", compute.MustRun(t, "get", "synctarget", "big", "-o", "jsonpath={.status.gpus[0].requested}"))
	})
}
