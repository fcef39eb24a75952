package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

// TestDrain: `kubectl gantry drain east` moves a Placement's Deployment to west, and east's copy keeps running
// until west's is Available: while west cannot schedule the pod (its node cordoned downstream), both copies exist
// and the Placement says what it waits for; once west's pod runs, east's copy goes. The drain prints its progress
// and ends when nothing is left on east. Draining the last target with nothing to replace it keeps its copy.
func TestDrain(t *testing.T) {
	f := startComputeFleet(t, fleetCluster{"east", 8}, fleetCluster{"west", 4}) // east has more free GPUs: chosen first
	computePath, compute, owner := f.computePath, f.compute, f.s.UserShell(t, f.computePath, "")
	eastLabel := computev1alpha1.StateLabel(f.computeCluster, "east")
	westLabel := computev1alpha1.StateLabel(f.computeCluster, "west")
	team, teamNS := f.addTeam(t, "team-a", false)
	team.WithStdin(f.placementYAML("one", "")).MustRun(t, "create", "-f", "-")
	team.MustRun(t, "wait", "--for=condition=Ready", "placement/one", "--timeout=60s")
	require.Equal(t, "east", team.MustRun(t, "get", "placement", "one", "-o", "jsonpath={.status.selectedTargets[*].name}"))
	team.WithStdin(placedDeployment(1)).MustRun(t, "apply", "-f", "-")
	available := func(cluster string) int32 { return f.available(cluster, teamNS, "llm") }
	westNode := f.nodes["west"]
	eventually(t, "llm available on east", func() bool { return available("east") == 1 })
	eventually(t, "east counts one Placement", func() bool {
		return compute.MustRun(t, "get", "synctarget", "east", "-o", "jsonpath={.status.placements.total}") == "1"
	})

	// West cannot run the replacement yet: its only node is cordoned downstream.
	setNodeUnschedulable(t, f.clients["west"], westNode.Name, true)
	var drainOut, drainErrOut string
	var drainErr error
	var drained sync.WaitGroup
	drained.Add(1)
	go func() {
		defer drained.Done()
		drainOut, drainErrOut, drainErr = owner.Run("gantry", "drain", "east", "--timeout", "4m")
	}()

	team.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Drained')].reason}=WaitingForReplacements", "placement/one", "--timeout=60s")
	assert.Equal(t, "west", team.MustRun(t, "get", "placement", "one", "-o", "jsonpath={.status.selectedTargets[*].name}"))
	assert.Equal(t, "east", team.MustRun(t, "get", "placement", "one", "-o", "jsonpath={.status.drainingTargets[*].name}"))
	eventually(t, "west has its copy, not yet available", func() bool { return available("west") == 0 })
	message := team.MustRun(t, "get", "placement", "one", "-o", "jsonpath={.status.conditions[?(@.type=='Drained')].message}")
	assert.Contains(t, message, "the copies stay on east until every object is Ready on west: 0 of 1 objects Ready; waiting for deployments default/llm on west")
	for i := 0; i < 5; i++ { // several heartbeats and drain polls pass: east's copy stays, labeled Sync
		assert.Equal(t, int32(1), available("east"), "east's copy keeps serving while west's is not Ready")
		time.Sleep(time.Second)
	}
	assert.Equal(t, "Sync", labelOf(t, team, "deployment/llm", eastLabel))
	assert.Equal(t, "Sync", labelOf(t, team, "deployment/llm", westLabel))
	assert.Equal(t, "1", compute.MustRun(t, "get", "synctarget", "east", "-o", "jsonpath={.status.placements.draining}"))

	setNodeUnschedulable(t, f.clients["west"], westNode.Name, false)
	eventually(t, "east's copy removed once west's is available", func() bool { return available("east") == -1 })
	assert.Equal(t, int32(1), available("west"), "the replacement was available before the old copy went")
	eventually(t, "east's label gone", func() bool { return labelOf(t, team, "deployment/llm", eastLabel) == "" })
	drained.Wait()
	require.NoError(t, drainErr, drainErrOut)
	assert.True(t, strings.HasPrefix(drainOut, "synctarget.compute.gantry.dev/east cordoned in "+computePath+"\n"), drainOut)
	assert.Contains(t, drainOut, "east: 1 Placement(s) still run objects here, 1 of them waiting for their replacements to be Ready\n")
	assert.True(t, strings.HasSuffix(drainOut, "east: no Placement runs objects here\nsynctarget.compute.gantry.dev/east drained\n"), drainOut)
	assert.Equal(t, "DrainComplete", team.MustRun(t, "get", "placement", "one", "-o", "jsonpath={.status.conditions[?(@.type=='Drained')].reason}"))
	eventually(t, "Events for the drain", func() bool {
		events := placementEvents(t, team, "one")
		return strings.Contains(events, "Placement TargetDraining: moving off east (unschedulable): its copies stay until every object is Ready on west") &&
			strings.Contains(events, "Placement TargetRemoved: left east: unschedulable, drained: every object is Ready on west")
	})

	// Nothing replaces the last target: draining it keeps its copy, and the drain says so when it times out.
	_, errOut, err := owner.Run("gantry", "drain", "west", "--timeout", "8s")
	require.Error(t, err)
	assert.Contains(t, errOut, `drain of synctarget "west" in `+computePath+` not finished after 8s: west: 1 Placement(s) still run objects here, 1 of them waiting for their replacements to be Ready; it stays cordoned`)
	assert.Equal(t, "NoReplacement", team.MustRun(t, "get", "placement", "one", "-o", "jsonpath={.status.conditions[?(@.type=='Drained')].reason}"))
	assert.Equal(t, int32(1), available("west"), "the last copy keeps running")
	assert.Equal(t, "Sync", labelOf(t, team, "deployment/llm", westLabel))

	// Uncordoned, east takes the Placement again; west then drains for real.
	compute.MustRun(t, "patch", "synctarget", "east", "--type=merge", "-p", `{"spec":{"unschedulable":false}}`)
	eventually(t, "east runs llm again and west's copy goes", func() bool { return available("east") == 1 && available("west") == -1 })
	assert.Equal(t, "east", team.MustRun(t, "get", "placement", "one", "-o", "jsonpath={.status.selectedTargets[*].name}"))
	assert.Equal(t, "", team.MustRun(t, "get", "placement", "one", "-o", "jsonpath={.status.drainingTargets}"))
}

// setNodeUnschedulable cordons or uncordons a node of a downstream cluster, as kubectl cordon does.
func setNodeUnschedulable(t *testing.T, cs kubernetes.Interface, node string, unschedulable bool) {
	t.Helper()
	patch := `{"spec":{"unschedulable":true}}`
	if !unschedulable {
		patch = `{"spec":{"unschedulable":null}}`
	}
	_, err := cs.CoreV1().Nodes().Patch(context.Background(), node, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	require.NoError(t, err)
}
