package placement

import (
	"context"
	"encoding/json"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// enqueueCounts asks for the Placement counts of the targets a Placement's change may have changed: those of its
// location, or of every location when it is gone (its location is then unknown).
func (c *Controller) enqueueCounts(cluster logicalcluster.Name, name string) {
	if p, ok := c.placements.Get(cluster, name); ok {
		if location := c.locationOf(p); location != "" {
			c.queue.Add(item{counts: true, cluster: location})
		}
		return
	}
	for _, location := range c.config.Targets.Clusters() {
		c.queue.Add(item{counts: true, cluster: location})
	}
}

// reconcileCounts writes into the status of every SyncTarget of a location workspace how many Placements, in
// every workspace, run objects on it and how many of those drain it (status.placements), so that its owner can
// follow a drain without reading the teams' workspaces.
func (c *Controller) reconcileCounts(ctx context.Context, location logicalcluster.Name) error {
	counts := c.countPlacements(location)
	for _, t := range c.config.Targets.List(location) {
		var have computev1alpha1.PlacementCount // none written reads as none placed
		if t.Status.Placements != nil {
			have = *t.Status.Placements
		}
		want := counts[t.Name]
		if have == want {
			continue
		}
		body, err := json.Marshal(map[string]interface{}{"status": map[string]interface{}{"placements": want}})
		if err != nil {
			return err
		}
		client, err := c.config.Clients.Gantry(string(location))
		if err != nil {
			return err
		}
		_, err = client.ComputeV1alpha1().SyncTargets().Patch(ctx, t.Name, types.MergePatchType, body, metav1.PatchOptions{}, "status")
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

// countPlacements counts, per target name of the location, the Placements that run objects on it (chosen or
// draining) and those that drain it.
func (c *Controller) countPlacements(location logicalcluster.Name) map[string]computev1alpha1.PlacementCount {
	counts := map[string]computev1alpha1.PlacementCount{}
	for _, cluster := range c.placements.Clusters() {
		for _, p := range c.placements.List(cluster) {
			if p.DeletionTimestamp != nil || c.locationOf(p) != location {
				continue
			}
			if p.Status.Phase == computev1alpha1.PlacementBound {
				for _, name := range currentTargets(p) {
					n := counts[name]
					n.Total++
					counts[name] = n
				}
			}
			for _, name := range drainingTargets(p) {
				n := counts[name]
				n.Total++
				n.Draining++
				counts[name] = n
			}
		}
	}
	return counts
}
