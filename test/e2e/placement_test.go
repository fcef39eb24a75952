package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
)

// placementTargets are the compute workspace's SyncTargets: gpu (alice may use it) and cpu (only bob may).
const placementTargets = `apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: gpu, labels: {region: eu}}
spec:
  supportedAPIExports: [{path: "root:provider", export: widgets}]
---
apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: cpu, labels: {region: us}}
spec:
  supportedAPIExports: [{path: "root:provider", export: widgets}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: use-gpu}
rules:
- {apiGroups: [compute.gantry.dev], resources: [synctargets], resourceNames: [gpu], verbs: [use]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-uses-gpu}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: use-gpu}
subjects: [{kind: User, name: alice}]
`

// placementYAML is a Placement of root:compute's targets matching selector, for the namespaces labeled placed=yes.
func placementYAML(name, location, selector string) string {
	return fmt.Sprintf(`apiVersion: compute.gantry.dev/v1alpha1
kind: Placement
metadata: {name: %s}
spec:
  locationWorkspace: %q
  locationSelector: {matchLabels: %s}
  namespaceSelector: {matchLabels: {placed: "yes"}}
`, name, location, selector)
}

// heartbeat writes a SyncTarget's heartbeat at the given time with free GPUs, as its syncer would.
func heartbeat(t *testing.T, compute *harness.Kubectl, name string, at time.Time, free int) {
	t.Helper()
	compute.MustRun(t, "patch", "synctarget", name, "--subresource=status", "--type=merge", "-p", fmt.Sprintf(
		`{"status":{"lastHeartbeatTime":%q,"gpus":[{"product":"H100","capacity":8,"allocatable":8,"requested":%d}]}}`,
		at.UTC().Format(time.RFC3339), 8-free))
}

// TestPlacement: a team's Placement chooses a Ready target its creator may use, and its namespaces and their
// objects carry the target's state label, which only placement writes; a Placement of targets the user may not use
// is refused; a target turned unschedulable moves the objects, leaving a Delete label for the old target's syncer.
func TestPlacement(t *testing.T) {
	s, _ := startWithUsers(t)
	providerPath, _ := s.CreateWorkspace(t, "root", "provider")
	s.Kubectl(providerPath).WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).MustRun(t, "create", "-f", "-")
	s.Kubectl(providerPath).MustRun(t, "wait", "--for=condition=IdentityValid", "apiexport/widgets", "--timeout=30s")
	computePath, computeCluster := s.CreateWorkspace(t, "root", "compute")
	compute := s.Kubectl(computePath)
	compute.WithStdin(placementTargets).MustRun(t, "create", "-f", "-")
	gpuLabel := computev1alpha1.StateLabel(computeCluster, "gpu")
	cpuLabel := computev1alpha1.StateLabel(computeCluster, "cpu")

	// Teams a and b: same namespace and object names; alice is admin of a, and only a places its namespace.
	teams := map[string]*harness.Kubectl{}
	for _, team := range []string{"team-a", "team-b"} {
		path, _ := s.CreateWorkspace(t, "root", team)
		k := s.Kubectl(path)
		teams[team] = k
		k.WithStdin(bindingYAML("widgets", providerPath)).MustRun(t, "create", "-f", "-")
		k.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
		k.MustRun(t, "label", "namespace", "default", "placed=yes")
		k.WithStdin(widget("before", "{size: 1}")).MustRun(t, "create", "-f", "-")
		k.MustRun(t, "create", "clusterrolebinding", "alice-admin", "--clusterrole=admin", "--user=alice")
	}
	alice := s.KubectlAs(t, "root:team-a", aliceToken)

	t.Run("a Placement of targets the user may not use is refused", func(t *testing.T) {
		for _, p := range []string{placementYAML("us", "root:compute", "{region: us}"), placementYAML("nowhere", "root:nope", "{}")} {
			_, errOut, err := alice.WithStdin(p).Run("create", "-f", "-")
			require.Error(t, err)
			assert.Contains(t, errOut, `may use no SyncTarget`)
			assert.Contains(t, errOut, `"use"`)
		}
		assert.Empty(t, strings.TrimSpace(alice.MustRun(t, "get", "placements", "-o", "name")), "nothing written")
	})

	alice.WithStdin(placementYAML("eu", "root:compute", "{}")).MustRun(t, "create", "-f", "-")
	t.Run("no Ready target: Unschedulable, and why", func(t *testing.T) {
		alice.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Unschedulable", "placement/eu", "--timeout=30s")
		assert.Contains(t, alice.MustRun(t, "get", "placement", "eu", "-o", "jsonpath={.status.conditions[?(@.type=='Ready')].reason}"), "NoReadyTarget")
	})

	heartbeat(t, compute, "gpu", time.Now(), 8)
	heartbeat(t, compute, "cpu", time.Now(), 8)
	compute.MustRun(t, "wait", "--for=condition=Ready", "synctarget/gpu", "--timeout=30s")
	compute.MustRun(t, "wait", "--for=condition=APIExportsValid=True", "synctarget/gpu", "synctarget/cpu", "--timeout=30s")
	assert.Equal(t, strings.TrimSuffix(s.URL("root"), "/clusters/root")+"/services/syncer/root:compute/gpu",
		compute.MustRun(t, "get", "synctarget", "gpu", "-o", "jsonpath={.status.virtualWorkspaceURL}"))

	t.Run("the Placement chooses the target alice may use and labels what it places", func(t *testing.T) {
		alice.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "placement/eu", "--timeout=30s")
		assert.Equal(t, "gpu", alice.MustRun(t, "get", "placement", "eu", "-o", "jsonpath={.status.selectedTarget.name}"),
			"cpu has as many free GPUs but alice may not use it")
		a := teams["team-a"]
		waitLabel(t, a, "namespace/default", gpuLabel, "Sync")
		waitLabel(t, a, "widget/before", gpuLabel, "Sync") // created before the Placement: labeled by the controller
		alice.WithStdin(widget("after", "{size: 2}")).MustRun(t, "create", "-f", "-")
		assert.Equal(t, "Sync", labelOf(t, a, "widget/after", gpuLabel), "labeled at creation")
		alice.MustRun(t, "create", "configmap", "settings", "-n", "default", "--from-literal=k=v")
		assert.Equal(t, "Sync", labelOf(t, a, "configmap/settings", gpuLabel))
		assert.Equal(t, "", labelOf(t, teams["team-b"], "widget/before", gpuLabel), "team-b places nothing")
		assert.Equal(t, "", labelOf(t, teams["team-b"], "namespace/default", gpuLabel))
	})

	t.Run("only placement writes state labels", func(t *testing.T) {
		alice.MustRun(t, "label", "widget", "after", "-n", "default", gpuLabel+"-")
		assert.Equal(t, "Sync", labelOf(t, alice, "widget/after", gpuLabel), "a user cannot unplace an object")
		alice.MustRun(t, "label", "widget", "after", "-n", "default", cpuLabel+"=Sync")
		assert.Equal(t, "", labelOf(t, alice, "widget/after", cpuLabel), "nor place it on a target of her choice")
		alice.WithStdin(strings.Replace(widget("sneaky", "{size: 3}"), "name: sneaky", "name: sneaky, labels: {"+cpuLabel+": Sync}", 1)).
			MustRun(t, "create", "-f", "-")
		assert.Equal(t, "", labelOf(t, alice, "widget/sneaky", cpuLabel))
		assert.Equal(t, "Sync", labelOf(t, alice, "widget/sneaky", gpuLabel))
	})

	t.Run("a missed heartbeat turns the target not Ready and keeps the choice", func(t *testing.T) {
		heartbeat(t, compute, "gpu", time.Now().Add(-time.Hour), 8)
		compute.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=HeartbeatMissed", "synctarget/gpu", "--timeout=30s")
		assert.Equal(t, "gpu", alice.MustRun(t, "get", "placement", "eu", "-o", "jsonpath={.status.selectedTarget.name}"),
			"without evictAfter a missed heartbeat alone does not move objects")
	})

	t.Run("an unschedulable target moves the objects; the old target's label turns Delete", func(t *testing.T) {
		compute.WithStdin(strings.NewReplacer("gpu", "cpu").Replace(placementTargets[strings.Index(placementTargets, "apiVersion: rbac"):])).
			MustRun(t, "create", "-f", "-")
		heartbeat(t, compute, "cpu", time.Now(), 4)
		compute.MustRun(t, "patch", "synctarget", "gpu", "--type=merge", "-p", `{"spec":{"unschedulable":true}}`)
		alice.MustRun(t, "wait", "--for=jsonpath={.status.selectedTarget.name}=cpu", "placement/eu", "--timeout=30s")
		a := teams["team-a"]
		waitLabel(t, a, "widget/before", cpuLabel, "Sync")
		waitLabel(t, a, "widget/before", gpuLabel, "Delete")
		assert.Equal(t, "", labelOf(t, a, "namespace/default", gpuLabel))
		assert.Equal(t, "Sync", labelOf(t, a, "namespace/default", cpuLabel))
		assert.Equal(t, "Delete", labelOf(t, a, "configmap/settings", gpuLabel))
	})
}

// labelOf returns an object's label in namespace default (namespaces: the label of the namespace).
func labelOf(t *testing.T, k *harness.Kubectl, object, label string) string {
	t.Helper()
	args := []string{"get", object, "-o", "jsonpath={.metadata.labels." + strings.ReplaceAll(label, ".", `\.`) + "}"}
	if !strings.HasPrefix(object, "namespace/") {
		args = append(args, "-n", "default")
	}
	return k.MustRun(t, args...)
}

// waitLabel waits until an object's label has the value.
func waitLabel(t *testing.T, k *harness.Kubectl, object, label, value string) {
	t.Helper()
	require.Eventually(t, func() bool { return labelOf(t, k, object, label) == value }, 30*time.Second, 200*time.Millisecond,
		"%s: label %s=%s", object, label, value)
}
