package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

// TestPlacementTwoClusters: a Placement with clusters: 2 puts the same Deployment in two real clusters and lists
// both; when one target turns unschedulable with no third to take its place, the Placement says only 1 of 2 fit,
// that cluster drains (its syncer removes its copy once the objects are Ready on the other) and nothing is deleted
// from the other; uncordoned, it gets its copy back.
func TestPlacementTwoClusters(t *testing.T) {
	f := startComputeFleet(t, fleetCluster{"east", 4}, fleetCluster{"west", 4})
	compute := f.compute
	eastLabel := computev1alpha1.StateLabel(f.computeCluster, "east")
	westLabel := computev1alpha1.StateLabel(f.computeCluster, "west")

	team, teamNS := f.addTeam(t, "team-a", false)
	team.WithStdin(f.placementYAML("ha", "clusters: 2")).MustRun(t, "create", "-f", "-")
	team.MustRun(t, "wait", "--for=condition=Ready", "placement/ha", "--timeout=60s")
	assert.Equal(t, "east west", team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.selectedTargets[*].name}"))
	team.WithStdin(placedDeployment(1)).MustRun(t, "apply", "-f", "-")
	assert.Equal(t, "Sync", labelOf(t, team, "deployment/llm", eastLabel), "placed on both at creation")
	assert.Equal(t, "Sync", labelOf(t, team, "deployment/llm", westLabel))

	eastCS, westCS := f.clients["east"], f.clients["west"]
	downSpec := func(cs kubernetes.Interface) string {
		d, err := cs.AppsV1().Deployments(teamNS).Get(context.Background(), "llm", metav1.GetOptions{})
		if err != nil {
			return ""
		}
		raw, _ := json.Marshal(d.Spec)
		return string(raw)
	}
	eventually(t, "llm runs in both clusters", func() bool { return downSpec(eastCS) != "" && downSpec(westCS) != "" })
	assert.Equal(t, downSpec(eastCS), downSpec(westCS), "the identical spec in both clusters")

	compute.MustRun(t, "patch", "synctarget", "west", "--type=merge", "-p", `{"spec":{"unschedulable":true}}`)
	team.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=NotEnoughTargets", "placement/ha", "--timeout=60s")
	message := team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].message}")
	assert.Contains(t, message, "1 of 2 targets fit: placed on east (") // its free GPUs follow llm's pods
	assert.Contains(t, message, "west: unschedulable")
	eventually(t, "west's copy removed, and its label with it", func() bool {
		return downSpec(westCS) == "" && labelOf(t, team, "deployment/llm", westLabel) == ""
	})
	assert.NotEmpty(t, downSpec(eastCS), "nothing is deleted from the surviving cluster")
	assert.Equal(t, "Sync", labelOf(t, team, "deployment/llm", eastLabel))
	eventually(t, "Events for the move and the missing target", func() bool { // Events are written asynchronously
		events := placementEvents(t, team, "ha")
		return strings.Contains(events, "Placement TargetRemoved: left west: unschedulable") &&
			strings.Contains(events, "Placement NotEnoughTargets: 1 of 2 targets fit")
	})

	compute.MustRun(t, "patch", "synctarget", "west", "--type=merge", "-p", `{"spec":{"unschedulable":false}}`)
	team.MustRun(t, "wait", "--for=condition=Ready", "placement/ha", "--timeout=60s")
	eventually(t, "west runs llm again", func() bool { return downSpec(westCS) != "" })
	eventually(t, "an Event for west's return", func() bool {
		return strings.Count(placementEvents(t, team, "ha"), "Placement TargetAdded: placed on west") > 0 &&
			team.MustRun(t, "get", "placement", "ha", "-o", "jsonpath={.status.selectedTargets[*].name}") == "east west"
	})
}
