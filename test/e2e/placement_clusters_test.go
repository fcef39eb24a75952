package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/test/harness"
)

// clustersTargets are four SyncTargets of pool one: a and c in region eu, b in us, d in ap.
const clustersTargets = `apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: a, labels: {pool: one, topology.gantry.dev/region: eu}}
---
apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: b, labels: {pool: one, topology.gantry.dev/region: us}}
---
apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: c, labels: {pool: one, topology.gantry.dev/region: eu}}
---
apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: d, labels: {pool: two, topology.gantry.dev/region: ap}}
`

// clustersPlacement is a Placement of root:compute's pool-one targets onto clusters targets, spread by spreadBy
// (empty: not spread), for the namespaces labeled placed=yes.
func clustersPlacement(name, clusters, spreadBy string) string {
	spread := ""
	if spreadBy != "" {
		spread = "\n  spreadBy: " + spreadBy
	}
	return fmt.Sprintf(`apiVersion: compute.gantry.dev/v1alpha1
kind: Placement
metadata: {name: %s}
spec:
  locationWorkspace: root:compute
  locationSelector: {matchLabels: {pool: one}}
  namespaceSelector: {matchLabels: {placed: "yes"}}
  clusters: %s%s
`, name, clusters, spread)
}

// keepBeating writes the targets' heartbeats every few seconds, as their syncers would, until the test ends: the
// targets stay Ready however long the test takes. free gives each target's free GPUs. The function returned stops
// one target's heartbeats, as if its syncer died.
func keepBeating(t *testing.T, compute *harness.Kubectl, free map[string]int) (stop func(name string)) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	t.Cleanup(func() { cancel(); wg.Wait() })
	beat := func() {
		mu.Lock()
		defer mu.Unlock()
		for name, n := range free {
			_, _, _ = compute.RunContext(ctx, "patch", "synctarget", name, "--subresource=status", "--type=merge", "-p", fmt.Sprintf(
				`{"status":{"lastHeartbeatTime":%q,"gpus":[{"product":"H100","capacity":8,"allocatable":8,"requested":%d}]}}`,
				time.Now().UTC().Format(time.RFC3339), 8-n))
		}
	}
	beat()
	wg.Add(1)
	go func() {
		defer wg.Done()
		ticker := time.NewTicker(5 * time.Second)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				beat()
			}
		}
	}()
	return func(name string) {
		mu.Lock()
		defer mu.Unlock()
		delete(free, name)
	}
}

// placementEvents returns "reason: message" of the Events on a Placement, from namespace default of its workspace.
func placementEvents(t *testing.T, k *harness.Kubectl, name string) string {
	t.Helper()
	return k.MustRun(t, "get", "events", "-n", "default", "-o",
		`jsonpath={range .items[?(@.involvedObject.name=="`+name+`")]}{.involvedObject.kind} {.reason}: {.message}{"\n"}{end}`)
}

// TestPlacementClusters: a Placement with clusters: 2 places a namespace and its objects on two targets and lists
// both; a target turned unschedulable is replaced by a third and drains (its label turns Delete once the third
// has taken every object up), one not Ready beyond its evictAfter is replaced at once, with an Event per move;
// spreadBy refuses two targets of one region (only 1 of 2 fit: a condition) and says so when no target has the
// label; clusters: 0 or -1 is refused.
func TestPlacementClusters(t *testing.T) {
	s := harness.Start(t)
	computePath, computeCluster := s.CreateWorkspace(t, "root", "compute")
	compute := s.Kubectl(computePath)
	compute.WithStdin(clustersTargets).MustRun(t, "create", "-f", "-")
	stopBeating := keepBeating(t, compute, map[string]int{"a": 8, "b": 6, "c": 4, "d": 8})
	compute.MustRun(t, "wait", "--for=condition=Ready", "synctarget/a", "synctarget/b", "synctarget/c", "synctarget/d", "--timeout=60s")
	label := func(name string) string { return computev1alpha1.StateLabel(computeCluster, name) }

	teams := map[string]*harness.Kubectl{}
	for _, team := range []string{"team-a", "team-b"} {
		path, _ := s.CreateWorkspace(t, "root", team)
		k := s.Kubectl(path)
		teams[team] = k
		k.MustRun(t, "label", "namespace", "default", "placed=yes")
		k.MustRun(t, "create", "configmap", "settings", "-n", "default", "--from-literal=k=v")
	}
	a, b := teams["team-a"], teams["team-b"]

	t.Run("clusters 0 or negative is refused, and nothing is written", func(t *testing.T) {
		for _, n := range []string{"0", "-1"} {
			_, errOut, err := a.WithStdin(clustersPlacement("bad", n, "")).Run("create", "-f", "-")
			require.Error(t, err, "clusters: %s", n)
			assert.Contains(t, errOut, "spec.clusters: Invalid value: "+n+": must be at least 1")
		}
		_, errOut, err := a.WithStdin(clustersPlacement("bad", "11", "")).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, "must be at most 10")
		_, errOut, err = a.WithStdin(clustersPlacement("bad", "2", `"not a label!"`)).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, "spec.spreadBy: Invalid value")
		assert.Empty(t, strings.TrimSpace(a.MustRun(t, "get", "placements", "-o", "name")))
	})

	a.WithStdin(clustersPlacement("two", "2", "")).MustRun(t, "create", "-f", "-")
	t.Run("clusters 2 places the namespace and its objects on two targets, and the status lists both", func(t *testing.T) {
		a.MustRun(t, "wait", "--for=condition=Ready", "placement/two", "--timeout=60s")
		assert.Equal(t, "a b", a.MustRun(t, "get", "placement", "two", "-o", "jsonpath={.status.selectedTargets[*].name}"),
			"the two with the most free GPUs, in choice order")
		assert.Equal(t, "a", a.MustRun(t, "get", "placement", "two", "-o", "jsonpath={.status.selectedTarget.name}"), "the first")
		assert.Equal(t, "2", a.MustRun(t, "get", "placement", "two", "-o", "jsonpath={.spec.clusters}"))
		for _, target := range []string{"a", "b"} {
			waitLabel(t, a, "namespace/default", label(target), "Sync")
			waitLabel(t, a, "configmap/settings", label(target), "Sync")
		}
		a.MustRun(t, "create", "configmap", "later", "-n", "default", "--from-literal=k=v")
		assert.Equal(t, "Sync", labelOf(t, a, "configmap/later", label("a")), "a new object gets both labels at creation")
		assert.Equal(t, "Sync", labelOf(t, a, "configmap/later", label("b")))
		assert.Equal(t, "", labelOf(t, a, "configmap/settings", label("c")))
		assert.Equal(t, "", labelOf(t, b, "configmap/settings", label("a")), "team-b places nothing")
		require.Eventually(t, func() bool {
			events := placementEvents(t, a, "two")
			return strings.Contains(events, "Placement TargetAdded: placed on a") && strings.Contains(events, "Placement TargetAdded: placed on b")
		}, 30*time.Second, 500*time.Millisecond, "an Event for each target added")
	})

	t.Run("an unschedulable target is replaced by a third, drains until the third took every object up, then its label turns Delete", func(t *testing.T) {
		compute.MustRun(t, "patch", "synctarget", "b", "--type=merge", "-p", `{"spec":{"unschedulable":true}}`)
		a.MustRun(t, "wait", "--for=jsonpath={.status.selectedTargets[1].name}=c", "placement/two", "--timeout=60s")
		assert.Equal(t, "a c", a.MustRun(t, "get", "placement", "two", "-o", "jsonpath={.status.selectedTargets[*].name}"), "a stays")
		waitLabel(t, a, "configmap/settings", label("c"), "Sync")
		a.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Drained')].reason}=WaitingForReplacements", "placement/two", "--timeout=60s")
		assert.Equal(t, "b", a.MustRun(t, "get", "placement", "two", "-o", "jsonpath={.status.drainingTargets[*].name}"))
		assert.Contains(t, a.MustRun(t, "get", "placement", "two", "-o", "jsonpath={.status.conditions[?(@.type=='Drained')].message}"),
			"the copies stay on b until every object is Ready on a, c: 0 of ")
		assert.Equal(t, "Sync", labelOf(t, a, "configmap/settings", label("b")), "b keeps its copies while draining")
		waitLabel(t, a, "namespace/default", label("c"), "Sync")
		assert.Equal(t, "Sync", labelOf(t, a, "namespace/default", label("b")))

		// No syncer runs here: take the objects up on a and c as theirs would, by adding their finalizers.
		for _, cm := range []string{"settings", "later"} {
			a.MustRun(t, "patch", "configmap", cm, "-n", "default", "--type=merge", "-p",
				`{"metadata":{"finalizers":["`+computev1alpha1.SyncerFinalizer(computeCluster, "a")+`","`+computev1alpha1.SyncerFinalizer(computeCluster, "c")+`"]}}`)
		}
		waitLabel(t, a, "configmap/settings", label("b"), "Delete")
		assert.Equal(t, "Sync", labelOf(t, a, "configmap/settings", label("a")))
		waitLabel(t, a, "namespace/default", label("b"), "")
		assert.Equal(t, "DrainComplete", a.MustRun(t, "get", "placement", "two", "-o", "jsonpath={.status.conditions[?(@.type=='Drained')].reason}"))
		require.Eventually(t, func() bool {
			events := placementEvents(t, a, "two")
			return strings.Contains(events, "Placement TargetDraining: moving off b (unschedulable): its copies stay until every object is Ready on a, c") &&
				strings.Contains(events, "Placement TargetRemoved: left b: unschedulable, drained: every object is Ready on a, c") &&
				strings.Contains(events, "Placement TargetAdded: placed on c")
		}, 30*time.Second, 500*time.Millisecond, "an Event for each move")
		assert.Empty(t, strings.TrimSpace(placementEvents(t, b, "two")), "the Events stay in the Placement's workspace")
	})

	t.Run("spreadBy refuses two targets of one region: only 1 of 2 fit", func(t *testing.T) {
		b.WithStdin(clustersPlacement("spread", "2", "topology.gantry.dev/region")).MustRun(t, "create", "-f", "-")
		b.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=NotEnoughTargets", "placement/spread", "--timeout=60s")
		assert.Equal(t, "a", b.MustRun(t, "get", "placement", "spread", "-o", "jsonpath={.status.selectedTargets[*].name}"),
			"b is unschedulable, and c shares a's region")
		message := b.MustRun(t, "get", "placement", "spread", "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].message}")
		assert.Contains(t, message, "1 of 2 targets fit")
		assert.Contains(t, message, "c: topology.gantry.dev/region=eu is taken by a")
		assert.Contains(t, message, "b: unschedulable")
		assert.Equal(t, "False", b.MustRun(t, "get", "placement", "spread", "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].status}"))
		assert.Equal(t, "Bound", b.MustRun(t, "get", "placement", "spread", "-o", "jsonpath={.status.phase}"), "the one that fits is used")
		waitLabel(t, b, "configmap/settings", label("a"), "Sync")
		assert.Equal(t, "", labelOf(t, b, "configmap/settings", label("c")))
		require.Eventually(t, func() bool {
			return strings.Contains(placementEvents(t, b, "spread"), "Placement NotEnoughTargets: 1 of 2 targets fit")
		}, 30*time.Second, 500*time.Millisecond)

		compute.MustRun(t, "patch", "synctarget", "b", "--type=merge", "-p", `{"spec":{"unschedulable":false}}`)
		b.MustRun(t, "wait", "--for=condition=Ready", "placement/spread", "--timeout=60s")
		assert.Equal(t, "a b", b.MustRun(t, "get", "placement", "spread", "-o", "jsonpath={.status.selectedTargets[*].name}"),
			"uncordoned, b (region us) joins")
		assert.Equal(t, "a c", a.MustRun(t, "get", "placement", "two", "-o", "jsonpath={.status.selectedTargets[*].name}"),
			"working choices do not flap back")
	})

	t.Run("spreadBy on a label no target has is a condition", func(t *testing.T) {
		b.MustRun(t, "patch", "placement", "spread", "--type=merge", "-p", `{"spec":{"spreadBy":"topology.gantry.dev/zone"}}`)
		b.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=SpreadLabelMissing", "placement/spread", "--timeout=60s")
		assert.Contains(t, b.MustRun(t, "get", "placement", "spread", "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].message}"),
			"spreadBy names the label topology.gantry.dev/zone, which no usable SyncTarget has: a, b, c")
		assert.Equal(t, "Unschedulable", b.MustRun(t, "get", "placement", "spread", "-o", "jsonpath={.status.phase}"))
		waitLabel(t, b, "configmap/settings", label("a"), "Delete")
		waitLabel(t, b, "configmap/settings", label("b"), "Delete")
	})

	t.Run("a target not Ready beyond its evictAfter is replaced, with no other change to wake the controller", func(t *testing.T) {
		require.Equal(t, "a c", a.MustRun(t, "get", "placement", "two", "-o", "jsonpath={.status.selectedTargets[*].name}"))
		// No heartbeat from now on: the others stay Ready for the 30 s lease, and none of their writes wakes the
		// controller when c's evictAfter runs out; it must look again by itself.
		for _, name := range []string{"a", "b", "c", "d"} {
			stopBeating(name)
		}
		compute.MustRun(t, "patch", "synctarget", "c", "--type=merge", "-p", `{"spec":{"evictAfter":"3s"}}`)
		heartbeat(t, compute, "c", time.Now().Add(-time.Hour), 4) // its syncer's last word, long ago
		compute.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=HeartbeatMissed", "synctarget/c", "--timeout=60s")
		a.MustRun(t, "wait", "--for=jsonpath={.status.selectedTargets[1].name}=b", "placement/two", "--timeout=60s")
		assert.Equal(t, "a b", a.MustRun(t, "get", "placement", "two", "-o", "jsonpath={.status.selectedTargets[*].name}"))
		waitLabel(t, a, "configmap/settings", label("b"), "Sync")
		waitLabel(t, a, "configmap/settings", label("c"), "Delete")
		require.Eventually(t, func() bool {
			return strings.Contains(placementEvents(t, a, "two"), "Placement TargetEvicted: left c: not Ready for longer than its evictAfter (3s)")
		}, 30*time.Second, 500*time.Millisecond)
	})
}
