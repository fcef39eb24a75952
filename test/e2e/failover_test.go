package e2e

import (
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

// TestFailover, with three real clusters: a Placement of two runs the same Deployment on east and west. West's
// syncer is killed: west turns not Ready and, after its evictAfter, leaves. With the third cluster (spare)
// cordoned, only 1 of 2 fit and nothing is deleted from east; uncordoned, spare takes west's place and runs the
// Deployment. West's syncer restarted removes its stale copy, and the objects stay where they are (no flapping,
// never more than two copies).
func TestFailover(t *testing.T) {
	f := startComputeFleet(t, fleetCluster{"east", 8}, fleetCluster{"west", 8}, fleetCluster{"spare", 4}) // spare: fewest free GPUs, not chosen first
	compute, westSyncer := f.compute, f.syncers["west"]
	compute.MustRun(t, "patch", "synctarget", "west", "--type=merge", "-p", `{"spec":{"evictAfter":"2s"}}`)
	compute.MustRun(t, "patch", "synctarget", "spare", "--type=merge", "-p", `{"spec":{"unschedulable":true}}`)

	team, teamNS := f.addTeam(t, "team-a", false)
	team.WithStdin(f.placementYAML("ha", "clusters: 2")).MustRun(t, "create", "-f", "-")
	team.MustRun(t, "wait", "--for=condition=Ready", "placement/ha", "--timeout=60s")
	require.Equal(t, "east west", team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.selectedTargets[*].name}"))
	team.WithStdin(placedDeployment(1)).MustRun(t, "apply", "-f", "-")
	available := func(cluster string) int32 { return f.available(cluster, teamNS, "llm") }
	eventually(t, "llm available on east and west", func() bool { return available("east") == 1 && available("west") == 1 })
	assert.Equal(t, int32(-1), available("spare"))
	label := func(target string) string {
		return labelOf(t, team, "deployment/llm", computev1alpha1.StateLabel(f.computeCluster, target))
	}

	westSyncer.Stop(syscall.SIGKILL)
	compute.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=HeartbeatMissed", "synctarget/west", "--timeout=60s")
	team.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=NotEnoughTargets", "placement/ha", "--timeout=60s")
	assert.Equal(t, "east", team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.selectedTargets[*].name}"))
	message := team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].message}")
	assert.Contains(t, message, "1 of 2 targets fit: placed on east (")
	assert.Contains(t, message, "spare: unschedulable")
	assert.Contains(t, message, "west: not Ready")
	eventually(t, "west's label turns Delete; its syncer is not there to remove the copy", func() bool { return label("west") == "Delete" })
	assert.Equal(t, "Sync", label("east"))
	assert.Equal(t, int32(1), available("east"), "nothing is deleted from the surviving cluster")
	eventually(t, "an Event for the eviction", func() bool {
		return strings.Contains(placementEvents(t, team, "ha"), "Placement TargetEvicted: left west: not Ready for longer than its evictAfter (2s)")
	})

	compute.MustRun(t, "patch", "synctarget", "spare", "--type=merge", "-p", `{"spec":{"unschedulable":false}}`)
	team.MustRun(t, "wait", "--for=condition=Ready", "placement/ha", "--timeout=60s")
	assert.Equal(t, "east spare", team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.selectedTargets[*].name}"))
	eventually(t, "spare runs llm, applied and reported there", func() bool { return available("spare") == 1 })
	eventually(t, "the status sums east and spare, not west's last report", func() bool {
		return team.MustRun(t, "get", "deployment", "llm", "-o", "jsonpath={.status.availableReplicas}") == "2"
	})

	westSyncer.Start()
	compute.MustRun(t, "wait", "--for=condition=Ready", "synctarget/west", "--timeout=60s")
	eventually(t, "west's stale copy is removed, then its label", func() bool { return available("west") == -1 && label("west") == "" })
	assert.Equal(t, "east spare", team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.selectedTargets[*].name}"),
		"west is back, and the objects stay where they are")
	assert.Equal(t, int32(1), available("east"))
	assert.Equal(t, int32(1), available("spare"))
	finalizers := team.MustRun(t, "get", "deployment", "llm", "-o", "jsonpath={.metadata.finalizers}")
	assert.NotContains(t, finalizers, computev1alpha1.SyncerFinalizer(f.computeCluster, "west"), "west's syncer released the object")
}
