package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
)

const gpuTarget = `apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata:
  name: gpu-eu
  labels: {topology.gantry.dev/region: eu, nvidia.com/gpu.product: H100}
spec:
  supportedAPIExports: [{path: "root:serving", export: serving}]
  evictAfter: 5m
`

const euPlacement = `apiVersion: compute.gantry.dev/v1alpha1
kind: Placement
metadata: {name: eu}
spec:
  locationWorkspace: root:compute
  locationSelector: {matchLabels: {topology.gantry.dev/region: eu}}
`

// TestComputeAPI: SyncTargets and Placements are served in every workspace, validated with clear messages, shown
// with their printer columns, kept per workspace, and their status is only written through /status.
func TestComputeAPI(t *testing.T) {
	s := harness.Start(t)
	compute, _ := s.CreateWorkspace(t, "root", "compute")
	team, _ := s.CreateWorkspace(t, "root", "team")
	k, user := s.Kubectl(compute), s.Kubectl(team)

	resources := k.MustRun(t, "api-resources", "--api-group=compute.gantry.dev", "-o", "name")
	assert.Equal(t, "placements.compute.gantry.dev\nsynctargets.compute.gantry.dev\n", resources)
	assert.Contains(t, k.MustRun(t, "explain", "synctarget.spec.evictAfter"), "may miss heartbeats")

	k.WithStdin(gpuTarget).MustRun(t, "create", "-f", "-")
	assert.Regexp(t, `NAME\s+READY\s+GPUS\s+HEARTBEAT\s+AGE\ngpu-eu\s+(Unknown|False)\s+0/0\s+<never>`, k.MustRun(t, "get", "synctargets"))
	assert.Equal(t, "configmaps secrets", k.MustRun(t, "get", "synctarget", "gpu-eu", "-o", "jsonpath={.spec.builtinResources[*]}"),
		"a target carries configmaps and secrets by default")
	k.MustRun(t, "patch", "synctarget", "gpu-eu", "--type=merge", "-p", `{"spec":{"unschedulable":true},"status":{"syncerVersion":"forged"}}`)
	assert.Regexp(t, `gpu-eu\s+(Unknown|False),SchedulingDisabled`, k.MustRun(t, "get", "synctargets"))
	assert.Empty(t, k.MustRun(t, "get", "synctarget", "gpu-eu", "-o", "jsonpath={.status.syncerVersion}"),
		"status is written only through the status subresource")

	t.Run("bad SyncTargets and Placements are refused with what to fix", func(t *testing.T) {
		for _, tc := range []struct{ body, want string }{
			{"apiVersion: compute.gantry.dev/v1alpha1\nkind: SyncTarget\nmetadata: {name: a}\nspec: {builtinResources: [pods]}\n",
				`spec.builtinResources[0]: Unsupported value: "pods": supported values: "configmaps", "secrets"`},
			{"apiVersion: compute.gantry.dev/v1alpha1\nkind: SyncTarget\nmetadata: {name: a}\nspec: {evictAfter: -1m}\n",
				`spec.evictAfter: Invalid value: "-1m0s": must not be negative`},
			{"apiVersion: compute.gantry.dev/v1alpha1\nkind: SyncTarget\nmetadata: {name: a}\nspec: {supportedAPIExports: [{path: 'root:Bad'}]}\n",
				`spec.supportedAPIExports[0].export: Required value`},
			{"apiVersion: compute.gantry.dev/v1alpha1\nkind: SyncTarget\nmetadata: {name: a.b}\n",
				`metadata.name: Invalid value: "a.b"`},
			{"apiVersion: compute.gantry.dev/v1alpha1\nkind: Placement\nmetadata: {name: p}\nspec: {}\n",
				`spec.locationWorkspace: Required value`},
			{"apiVersion: compute.gantry.dev/v1alpha1\nkind: Placement\nmetadata: {name: p}\nspec: {locationWorkspace: 'root::x'}\n",
				`spec.locationWorkspace: Invalid value: "root::x"`},
			{"apiVersion: compute.gantry.dev/v1alpha1\nkind: Placement\nmetadata: {name: p}\nspec: {locationWorkspace: root:compute, namespaceSelector: {matchExpressions: [{key: a, operator: Nope}]}}\n",
				`spec.namespaceSelector.matchExpressions[0].operator: Invalid value: "Nope"`},
		} {
			_, errOut, err := user.WithStdin(tc.body).Run("create", "-f", "-")
			require.Error(t, err, tc.body)
			assert.Contains(t, errOut, tc.want, tc.body)
		}
		assert.Equal(t, "", user.MustRun(t, "get", "synctargets,placements", "-o", "name"), "nothing refused was written")
	})

	t.Run("a SyncTarget naming a missing export says which, until the export exists", func(t *testing.T) {
		k.WithStdin("apiVersion: compute.gantry.dev/v1alpha1\nkind: SyncTarget\nmetadata: {name: wants-widgets}\n"+
			"spec: {supportedAPIExports: [{path: 'root:compute', export: widgets}, {path: 'root:widgets-later', export: widgets}]}\n").
			MustRun(t, "create", "-f", "-")
		k.MustRun(t, "wait", "--for=condition=APIExportsValid=False", "synctarget/wants-widgets", "--timeout=30s")
		assert.Equal(t, "APIExportNotFound", k.MustRun(t, "get", "synctarget", "wants-widgets", "-o",
			`jsonpath={.status.conditions[?(@.type=="APIExportsValid")].reason}`))
		assert.Equal(t, "APIExport root:compute:widgets not found; APIExport root:widgets-later:widgets: workspace root:widgets-later not found",
			k.MustRun(t, "get", "synctarget", "wants-widgets", "-o", `jsonpath={.status.conditions[?(@.type=="APIExportsValid")].message}`))

		// The export in compute appears: only the one in the missing workspace is named still.
		k.WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).MustRun(t, "create", "-f", "-")
		require.Eventually(t, func() bool {
			return k.MustRun(t, "get", "synctarget", "wants-widgets", "-o", `jsonpath={.status.conditions[?(@.type=="APIExportsValid")].message}`) ==
				"APIExport root:widgets-later:widgets: workspace root:widgets-later not found"
		}, 30*time.Second, 200*time.Millisecond)
		// The workspace appears, then its export: the condition turns True without touching the target.
		later, _ := s.CreateWorkspace(t, "root", "widgets-later")
		s.Kubectl(later).WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).MustRun(t, "create", "-f", "-")
		k.MustRun(t, "wait", "--for=condition=APIExportsValid=True", "synctarget/wants-widgets", "--timeout=30s")
		assert.Equal(t, "APIExportsFound", k.MustRun(t, "get", "synctarget", "wants-widgets", "-o",
			`jsonpath={.status.conditions[?(@.type=="APIExportsValid")].reason}`))
		k.MustRun(t, "delete", "synctarget", "wants-widgets")
	})

	t.Run("a Placement is Pending until placed, and each workspace sees only its own objects", func(t *testing.T) {
		user.WithStdin(euPlacement).MustRun(t, "create", "-f", "-")
		assert.Regexp(t, `NAME\s+LOCATION\s+TARGET\s+PHASE\s+AGE\neu\s+root:compute\s+<none>\s+(Pending|Unschedulable)`, user.MustRun(t, "get", "placements"))
		assert.Equal(t, "", user.MustRun(t, "get", "synctargets", "-o", "name"))
		assert.Equal(t, "", k.MustRun(t, "get", "placements", "-o", "name"))
		assert.Equal(t, "synctarget.compute.gantry.dev/gpu-eu\n", k.MustRun(t, "get", "synctargets", "-o", "name"))
	})
}
