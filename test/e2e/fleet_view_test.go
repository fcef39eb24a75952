package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/test/harness"
)

// fleetTargets are root:compute's SyncTargets for TestFleetView: gpu-eu, which alice may use, and gpu-us, which she
// may not. alice and dave may list the targets; only alice may use one.
const fleetTargets = `apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: gpu-eu, labels: {topology.gantry.dev/region: eu-west, region: eu}}
---
apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: gpu-us, labels: {region: us}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: use-gpu-eu}
rules:
- {apiGroups: [compute.gantry.dev], resources: [synctargets], resourceNames: [gpu-eu], verbs: [use]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-uses-gpu-eu}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: use-gpu-eu}
subjects: [{kind: User, name: alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: list-targets}
rules:
- {apiGroups: [compute.gantry.dev], resources: [synctargets], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: team-lists-targets}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: list-targets}
subjects: [{kind: User, name: alice}, {kind: User, name: dave}]
`

// fleetHeartbeat writes a target's heartbeat now, with GPUs of product as its syncer would, through the status
// subresource.
func fleetHeartbeat(t *testing.T, compute *harness.Kubectl, name, product string, capacity, allocatable, requested int) {
	t.Helper()
	compute.MustRun(t, "patch", "synctarget", name, "--subresource=status", "--type=merge", "-p", fmt.Sprintf(
		`{"status":{"lastHeartbeatTime":%q,"gpus":[{"product":%q,"capacity":%d,"allocatable":%d,"requested":%d}]}}`,
		time.Now().UTC().Format(time.RFC3339), product, capacity, allocatable, requested))
}

// TestFleetView: `kubectl gantry get targets` shows a user the targets they may use, with readiness, region and
// free GPUs; `cordon`/`uncordon` are their owner's (the compute workspace's admin) and refused to a mere user.
func TestFleetView(t *testing.T) {
	s, _ := startWithUsers(t)
	computePath, _ := s.CreateWorkspace(t, "root", "compute")
	teamPath, _ := s.CreateWorkspace(t, "root", "team-a")
	s.Kubectl(teamPath).MustRun(t, "create", "clusterrolebinding", "alice-admin", "--clusterrole=admin", "--user=alice")
	compute := s.Kubectl(computePath)
	compute.WithStdin(fleetTargets).MustRun(t, "create", "-f", "-")
	fleetHeartbeat(t, compute, "gpu-eu", "H100", 8, 8, 3)
	fleetHeartbeat(t, compute, "gpu-us", "A100", 4, 4, 0)
	compute.MustRun(t, "wait", "--for=condition=Ready", "synctarget/gpu-eu", "synctarget/gpu-us", "--timeout=60s")

	owner := s.UserShell(t, computePath, "")
	alice := s.UserShell(t, teamPath, aliceToken)
	dave := s.UserShell(t, teamPath, daveToken)
	row := func(out, name string) string {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, name+" ") {
				return line
			}
		}
		return ""
	}

	t.Run("a user sees only the targets they may use", func(t *testing.T) {
		out := alice.MustRun(t, "gantry", "get", "targets", "--location", computePath)
		assert.Regexp(t, `^NAME\s+READY\s+REGION\s+GPU\s+GPUS FREE/TOTAL\s+HEARTBEAT\n`, out)
		assert.Regexp(t, `^gpu-eu\s+Ready\s+eu-west\s+H100\s+5/8\s+\d+s$`, row(out, "gpu-eu"))
		assert.Empty(t, row(out, "gpu-us"), "alice may not use gpu-us:\n%s", out)

		out = owner.MustRun(t, "gantry", "get", "targets")
		assert.Regexp(t, `^gpu-us\s+Ready\s+us\s+A100\s+4/4\s`, row(out, "gpu-us"), "the owner may use both; the location defaults to the current workspace")
		assert.NotEmpty(t, row(out, "gpu-eu"))

		out, errOut, err := dave.Run("gantry", "get", "targets", "--location", computePath)
		require.NoError(t, err)
		assert.Empty(t, out)
		assert.Equal(t, "No SyncTargets in "+computePath+" that you may use.\n", errOut)
	})

	t.Run("listing without list is the server's 403", func(t *testing.T) {
		carol := s.UserShell(t, teamPath, carolToken)
		_, errOut, err := carol.Run("gantry", "get", "targets", "--location", computePath)
		require.Error(t, err)
		assert.Contains(t, errOut, `Error from server (Forbidden): synctargets.compute.gantry.dev is forbidden: User "carol" cannot list resource "synctargets"`)
		_, errOut, err = alice.Run("gantry", "get", "targets", "--location", "root:nope")
		require.Error(t, err)
		assert.Contains(t, errOut, `Error from server (Forbidden): synctargets.compute.gantry.dev is forbidden: User "alice" cannot list`,
			"a location that does not exist gets the same 403 as one the user may not read")
		_, errOut, err = alice.Run("gantry", "get", "targets", "--location", "Bad Path")
		require.Error(t, err)
		assert.Contains(t, errOut, `error: --location "Bad Path" is not a workspace path`)
	})

	t.Run("cordon by the owner shows SchedulingDisabled; uncordon clears it", func(t *testing.T) {
		assert.Equal(t, "synctarget.compute.gantry.dev/gpu-eu cordoned in "+computePath+"\n", owner.MustRun(t, "gantry", "cordon", "gpu-eu"))
		assert.Equal(t, "true", compute.MustRun(t, "get", "synctarget", "gpu-eu", "-o", "jsonpath={.spec.unschedulable}"))
		assert.Regexp(t, `^gpu-eu\s+Ready,SchedulingDisabled\s+eu-west\s`, row(alice.MustRun(t, "gantry", "get", "targets", "--location", computePath), "gpu-eu"))
		assert.Equal(t, "synctarget.compute.gantry.dev/gpu-eu uncordoned in "+computePath+"\n",
			owner.MustRun(t, "gantry", "uncordon", "gpu-eu", "--location", computePath))
		assert.Regexp(t, `^gpu-eu\s+Ready\s+eu-west\s`, row(alice.MustRun(t, "gantry", "get", "targets", "--location", computePath), "gpu-eu"))
		assert.Equal(t, "", compute.MustRun(t, "get", "synctarget", "gpu-eu", "-o", "jsonpath={.spec.unschedulable}"))
	})

	t.Run("cordon by a user who may only use the target is the server's 403", func(t *testing.T) {
		_, errOut, err := alice.Run("gantry", "cordon", "gpu-eu", "--location", computePath)
		require.Error(t, err)
		assert.Contains(t, errOut, `Error from server (Forbidden): synctargets.compute.gantry.dev "gpu-eu" is forbidden: User "alice" cannot patch resource "synctargets"`)
		assert.Equal(t, "", compute.MustRun(t, "get", "synctarget", "gpu-eu", "-o", "jsonpath={.spec.unschedulable}"), "nothing changed")
		_, errOut, err = owner.Run("gantry", "cordon", "nope")
		require.Error(t, err)
		assert.Contains(t, errOut, `Error from server (NotFound): synctargets.compute.gantry.dev "nope" not found`)
	})

	t.Run("drain: bad input is refused and cordons nothing", func(t *testing.T) {
		_, errOut, err := alice.Run("gantry", "drain", "gpu-eu", "--location", computePath)
		require.Error(t, err, "alice may use gpu-eu, not drain it")
		assert.Contains(t, errOut, `Error from server (Forbidden): synctargets.compute.gantry.dev "gpu-eu" is forbidden: User "alice" cannot patch resource "synctargets"`)
		_, errOut, err = dave.Run("gantry", "drain", "gpu-us", "--location", computePath)
		require.Error(t, err, "dave may not even use gpu-us")
		assert.Contains(t, errOut, `Error from server (Forbidden): synctargets.compute.gantry.dev "gpu-us" is forbidden: User "dave" cannot patch resource "synctargets"`)
		assert.Equal(t, "", compute.MustRun(t, "get", "synctargets", "-o", "jsonpath={.items[*].spec.unschedulable}"), "nothing cordoned")
		_, errOut, err = owner.Run("gantry", "drain", "nope")
		require.Error(t, err)
		assert.Contains(t, errOut, `Error from server (NotFound): synctargets.compute.gantry.dev "nope" not found`)
		_, errOut, err = owner.Run("gantry", "drain", "gpu-eu", "--location", "Bad Path")
		require.Error(t, err)
		assert.Contains(t, errOut, `error: --location "Bad Path" is not a workspace path`)
	})

	t.Run("drain of a target no Placement uses ends at once", func(t *testing.T) {
		out := owner.MustRun(t, "gantry", "drain", "gpu-us", "--timeout", "60s")
		assert.True(t, strings.HasPrefix(out, "synctarget.compute.gantry.dev/gpu-us cordoned in "+computePath+"\n"+
			"gpu-us: no Placement runs objects here"), out) // "(not Ready: ...)" follows once the fake heartbeat is too old
		assert.True(t, strings.HasSuffix(out, "\nsynctarget.compute.gantry.dev/gpu-us drained\n"), out)
		assert.Equal(t, "true", compute.MustRun(t, "get", "synctarget", "gpu-us", "-o", "jsonpath={.spec.unschedulable}"))
	})
}
