package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/test/harness"
)

// workspaceYAML is a Workspace manifest, with a type when typeName is not empty.
func workspaceYAML(name, typeName string) string {
	y := "apiVersion: tenancy.gantry.dev/v1alpha1\nkind: Workspace\nmetadata:\n  name: " + name + "\n"
	if typeName != "" {
		y += "spec:\n  type: " + typeName + "\n"
	}
	return y
}

// wsTypesFixture holds the server and workspaces that the subtests of TestWorkspaceTypes share.
type wsTypesFixture struct {
	s            *harness.Server
	orgPath      string
	teamA, teamB string
}

// admin returns a kubectl for workspace ws as the admin.
func (f *wsTypesFixture) admin(ws string) *harness.Kubectl { return f.s.Kubectl(ws) }

// alice returns a kubectl for workspace ws as alice, the admin of team-a.
func (f *wsTypesFixture) alice(t *testing.T, ws string) *harness.Kubectl {
	return f.s.KubectlAs(t, ws, aliceToken)
}

// setupWorkspaceTypes creates org with team-a and team-b, whose admins are alice and bob.
func setupWorkspaceTypes(t *testing.T) *wsTypesFixture {
	s, _ := startWithUsers(t)
	f := &wsTypesFixture{s: s}
	f.orgPath, _ = s.CreateWorkspace(t, "root", "org")
	f.teamA, _ = s.CreateWorkspace(t, f.orgPath, "team-a")
	f.teamB, _ = s.CreateWorkspace(t, f.orgPath, "team-b")
	f.admin(f.teamA).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user=alice")
	f.admin(f.teamB).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user=bob")
	return f
}

func TestWorkspaceTypes(t *testing.T) {
	f := setupWorkspaceTypes(t)
	t.Run("children get their parent's default child type", func(t *testing.T) { testTypesDefaultChildType(t, f) })
	t.Run("a type the parent does not allow is refused, and nothing is created", func(t *testing.T) { testTypesDisallowedRefused(t, f) })
	t.Run("a type defined in a workspace applies below it, to those who may use it", func(t *testing.T) { testTypesDefinedBelow(t, f) })
	t.Run("the use verb is needed for built-in types too", func(t *testing.T) { testTypesUseVerbForBuiltins(t, f) })
	t.Run("WorkspaceTypes are validated", func(t *testing.T) { testTypesValidated(t, f) })
}

// testTypesDefaultChildType checks the built-in types in root and that new workspaces get their parent's default child type.
func testTypesDefaultChildType(t *testing.T, f *wsTypesFixture) {
	builtins := f.admin("root").MustRun(t, "get", "workspacetypes")
	for _, row := range []string{`organization\s+team\s+team,ml-team,universal`, `ml-team\s+universal\s+universal`, `root\s+organization\s+organization,universal`,
		`team\s+universal\s+universal`, `universal\s+universal\s+\*`} {
		assert.Regexp(t, row, builtins, "root shows the built-in types")
	}
	assert.Equal(t, "universal", f.admin("root").MustRun(t, "get", "workspacetype", "team", "-o", "jsonpath={.spec.defaultChildType}"))
	_, _, err := f.admin(f.orgPath).Run("get", "workspacetype", "team")
	assert.Error(t, err, "other workspaces list only their own types")

	assert.Equal(t, "organization", f.admin("root").MustRun(t, "get", "workspace", "org", "-o", "jsonpath={.spec.type}"))
	assert.Equal(t, "team", f.admin(f.orgPath).MustRun(t, "get", "workspace", "team-a", "-o", "jsonpath={.spec.type}"))
	out := f.admin(f.orgPath).MustRun(t, "get", "workspaces")
	assert.Regexp(t, `NAME\s+TYPE\s+PHASE`, out)
	assert.Regexp(t, `team-b\s+team\s+Ready`, out)
	// alice holds admin in team-a, which includes "use" on the built-in types.
	sh := f.s.UserShell(t, f.teamA, aliceToken)
	sh.MustRun(t, "create", "workspace", "sandbox")
	assert.Equal(t, "universal", f.alice(t, f.teamA).MustRun(t, "get", "workspace", "sandbox", "-o", "jsonpath={.spec.type}"))
}

// testTypesDisallowedRefused checks that types a parent does not allow, or that do not exist, are refused and nothing is created.
func testTypesDisallowedRefused(t *testing.T, f *wsTypesFixture) {
	sh := f.s.UserShell(t, "root", "")
	_, errOut, err := sh.Run("create", "workspace", "misplaced", "--type", "team")
	require.Error(t, err)
	assert.Contains(t, errOut, `a workspace of type "team" is not allowed in root (of type "root"); allowed child types: organization, universal`)
	_, errOut, err = f.admin(f.orgPath).WithStdin(workspaceYAML("second-root", "root")).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, `is invalid: spec.type`)
	assert.Contains(t, errOut, `a workspace of type "root" is not allowed`)
	_, errOut, err = f.alice(t, f.teamA).WithStdin(workspaceYAML("nested-org", "organization")).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, `allowed child types: universal`)
	_, errOut, err = f.alice(t, f.teamA).WithStdin(workspaceYAML("typo", "univresal")).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, `not allowed in root:org:team-a`)
	_, errOut, err = f.alice(t, f.teamA+":sandbox").WithStdin(workspaceYAML("typo", "univresal")).Run("create", "-f", "-")
	require.Error(t, err, "universal allows any type, but the type must exist")
	assert.Contains(t, errOut, `no WorkspaceType "univresal" is defined in root:org:team-a:sandbox or any workspace above it`)
	_, errOut, err = f.admin("root").WithStdin(workspaceYAML("bad", "Not_A_Name")).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, `spec.type: Invalid value: "Not_A_Name"`)
	for _, refused := range [][2]string{{"root", "misplaced"}, {f.orgPath, "second-root"}, {f.teamA, "nested-org"}, {"root", "bad"}} {
		_, _, err := f.admin(refused[0]).Run("get", "workspace", refused[1])
		assert.Error(t, err, "%s must not exist in %s", refused[1], refused[0])
	}
}

// testTypesDefinedBelow checks that a type defined in org governs the workspaces below it, for users granted its use verb only.
func testTypesDefinedBelow(t *testing.T, f *wsTypesFixture) {
	f.admin(f.orgPath).WithStdin(`apiVersion: tenancy.gantry.dev/v1alpha1
kind: WorkspaceType
metadata:
  name: gpu
spec:
  noChildren: true
---
apiVersion: tenancy.gantry.dev/v1alpha1
kind: WorkspaceType
metadata:
  name: team
spec:
  defaultChildType: universal
  allowedChildTypes: [universal, gpu]
`).MustRun(t, "create", "-f", "-")
	assert.Regexp(t, `gpu\s+<none>`, f.admin(f.orgPath).MustRun(t, "get", "workspacetypes"))

	// org's own "team" now governs team-a (the index sees it within moments): gpu is allowed there, but alice
	// may not use it, since it is org's and she holds nothing in org.
	var errOut string
	require.Eventually(t, func() bool {
		_, errOut, _ = f.alice(t, f.teamA).WithStdin(workspaceYAML("trainer", "gpu")).Run("create", "-f", "-")
		return strings.Contains(errOut, "may not use")
	}, 10*time.Second, 100*time.Millisecond, "last error: %s", errOut)
	assert.Contains(t, errOut, `user "alice" may not use the workspace type "gpu": it needs the verb "use" on workspacetypes "gpu" in root:org`)

	// kubectl create clusterrole checks verbs against discovery, which lists only REST verbs: write it out.
	f.admin(f.orgPath).WithStdin(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: use-gpu
rules:
- apiGroups: [tenancy.gantry.dev]
  resources: [workspacetypes]
  resourceNames: [gpu]
  verbs: [use]
`).MustRun(t, "create", "-f", "-")
	f.admin(f.orgPath).MustRun(t, "create", "clusterrolebinding", "alice-use-gpu", "--clusterrole=use-gpu", "--user=alice")
	require.Eventually(t, func() bool {
		_, _, err := f.alice(t, f.teamA).WithStdin(workspaceYAML("trainer", "gpu")).Run("create", "-f", "-")
		return err == nil
	}, 10*time.Second, 100*time.Millisecond)
	trainer, _ := f.s.WaitWorkspaceReady(t, f.teamA, "trainer")
	_, errOut, err := f.admin(trainer).WithStdin(workspaceYAML("child", "")).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, `a workspace of type "universal" is not allowed in `+trainer+` (of type "gpu"); it allows no child workspaces`)

	// team-b's own types are invisible from team-a, and team-b may not use org's gpu without a grant.
	f.admin(f.teamB).WithStdin("apiVersion: tenancy.gantry.dev/v1alpha1\nkind: WorkspaceType\nmetadata:\n  name: b-only\n").MustRun(t, "create", "-f", "-")
	_, errOut, err = f.alice(t, f.teamA+":sandbox").WithStdin(workspaceYAML("peek", "b-only")).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, `no WorkspaceType "b-only" is defined in root:org:team-a:sandbox`)
	_, errOut, err = f.s.KubectlAs(t, f.teamB, bobToken).WithStdin(workspaceYAML("trainer", "gpu")).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, `user "bob" may not use the workspace type "gpu"`)
}

// testTypesUseVerbForBuiltins checks that creating a workspace of a built-in type needs the use verb on that type.
func testTypesUseVerbForBuiltins(t *testing.T, f *wsTypesFixture) {
	f.admin(f.teamA).MustRun(t, "create", "clusterrole", "workspace-creator", "--verb=create,get", "--resource=workspaces.tenancy.gantry.dev")
	f.admin(f.teamA).MustRun(t, "create", "clusterrolebinding", "dave-creates", "--clusterrole=workspace-creator", "--user=dave")
	_, errOut, err := f.s.KubectlAs(t, f.teamA, daveToken).WithStdin(workspaceYAML("daves", "")).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, `user "dave" may not use the workspace type "universal": it needs the verb "use" on workspacetypes "universal" in `+f.teamA)
}

// testTypesValidated checks that a WorkspaceType's default and allowed child types are validated.
func testTypesValidated(t *testing.T, f *wsTypesFixture) {
	_, errOut, err := f.admin(f.orgPath).WithStdin(`apiVersion: tenancy.gantry.dev/v1alpha1
kind: WorkspaceType
metadata:
  name: broken
spec:
  defaultChildType: gpu
  allowedChildTypes: [universal, root]
`).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, "spec.defaultChildType: Invalid value: \"gpu\": must be one of allowedChildTypes")
	assert.Contains(t, errOut, "spec.allowedChildTypes[1]: Invalid value: \"root\"")
}
