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

func TestWorkspaceTypes(t *testing.T) {
	s, _ := startWithUsers(t)
	admin := func(ws string) *harness.Kubectl { return s.Kubectl(ws) }
	alice := func(ws string) *harness.Kubectl { return s.KubectlAs(t, ws, aliceToken) }
	orgPath, _ := s.CreateWorkspace(t, "root", "org")
	teamA, _ := s.CreateWorkspace(t, orgPath, "team-a")
	teamB, _ := s.CreateWorkspace(t, orgPath, "team-b")
	admin(teamA).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user=alice")
	admin(teamB).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user=bob")

	t.Run("children get their parent's default child type", func(t *testing.T) {
		builtins := admin("root").MustRun(t, "get", "workspacetypes")
		for _, row := range []string{`organization\s+team\s+team,universal`, `root\s+organization\s+organization,universal`,
			`team\s+universal\s+universal`, `universal\s+universal\s+\*`} {
			assert.Regexp(t, row, builtins, "root shows the built-in types")
		}
		assert.Equal(t, "universal", admin("root").MustRun(t, "get", "workspacetype", "team", "-o", "jsonpath={.spec.defaultChildType}"))
		_, _, err := admin(orgPath).Run("get", "workspacetype", "team")
		assert.Error(t, err, "other workspaces list only their own types")

		assert.Equal(t, "organization", admin("root").MustRun(t, "get", "workspace", "org", "-o", "jsonpath={.spec.type}"))
		assert.Equal(t, "team", admin(orgPath).MustRun(t, "get", "workspace", "team-a", "-o", "jsonpath={.spec.type}"))
		out := admin(orgPath).MustRun(t, "get", "workspaces")
		assert.Regexp(t, `NAME\s+TYPE\s+PHASE`, out)
		assert.Regexp(t, `team-b\s+team\s+Ready`, out)
		// alice holds admin in team-a, which includes "use" on the built-in types.
		sh := s.UserShell(t, teamA, aliceToken)
		sh.MustRun(t, "create", "workspace", "sandbox")
		assert.Equal(t, "universal", alice(teamA).MustRun(t, "get", "workspace", "sandbox", "-o", "jsonpath={.spec.type}"))
	})

	t.Run("a type the parent does not allow is refused, and nothing is created", func(t *testing.T) {
		sh := s.UserShell(t, "root", "")
		_, errOut, err := sh.Run("create", "workspace", "misplaced", "--type", "team")
		require.Error(t, err)
		assert.Contains(t, errOut, `a workspace of type "team" is not allowed in root (of type "root"); allowed child types: organization, universal`)
		_, errOut, err = admin(orgPath).WithStdin(workspaceYAML("second-root", "root")).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, `is invalid: spec.type`)
		assert.Contains(t, errOut, `a workspace of type "root" is not allowed`)
		_, errOut, err = alice(teamA).WithStdin(workspaceYAML("nested-org", "organization")).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, `allowed child types: universal`)
		_, errOut, err = alice(teamA).WithStdin(workspaceYAML("typo", "univresal")).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, `not allowed in root:org:team-a`)
		_, errOut, err = alice(teamA+":sandbox").WithStdin(workspaceYAML("typo", "univresal")).Run("create", "-f", "-")
		require.Error(t, err, "universal allows any type, but the type must exist")
		assert.Contains(t, errOut, `no WorkspaceType "univresal" is defined in root:org:team-a:sandbox or any workspace above it`)
		_, errOut, err = admin("root").WithStdin(workspaceYAML("bad", "Not_A_Name")).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, `spec.type: Invalid value: "Not_A_Name"`)
		for _, refused := range [][2]string{{"root", "misplaced"}, {orgPath, "second-root"}, {teamA, "nested-org"}, {"root", "bad"}} {
			_, _, err := admin(refused[0]).Run("get", "workspace", refused[1])
			assert.Error(t, err, "%s must not exist in %s", refused[1], refused[0])
		}
	})

	t.Run("a type defined in a workspace applies below it, to those who may use it", func(t *testing.T) {
		admin(orgPath).WithStdin(`apiVersion: tenancy.gantry.dev/v1alpha1
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
		assert.Regexp(t, `gpu\s+<none>`, admin(orgPath).MustRun(t, "get", "workspacetypes"))

		// org's own "team" now governs team-a (the index sees it within moments): gpu is allowed there, but alice
		// may not use it, since it is org's and she holds nothing in org.
		var errOut string
		require.Eventually(t, func() bool {
			_, errOut, _ = alice(teamA).WithStdin(workspaceYAML("trainer", "gpu")).Run("create", "-f", "-")
			return strings.Contains(errOut, "may not use")
		}, 10*time.Second, 100*time.Millisecond, "last error: %s", errOut)
		assert.Contains(t, errOut, `user "alice" may not use the workspace type "gpu": it needs the verb "use" on workspacetypes "gpu" in root:org`)

		// kubectl create clusterrole checks verbs against discovery, which lists only REST verbs: write it out.
		admin(orgPath).WithStdin(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: use-gpu
rules:
- apiGroups: [tenancy.gantry.dev]
  resources: [workspacetypes]
  resourceNames: [gpu]
  verbs: [use]
`).MustRun(t, "create", "-f", "-")
		admin(orgPath).MustRun(t, "create", "clusterrolebinding", "alice-use-gpu", "--clusterrole=use-gpu", "--user=alice")
		require.Eventually(t, func() bool {
			_, _, err := alice(teamA).WithStdin(workspaceYAML("trainer", "gpu")).Run("create", "-f", "-")
			return err == nil
		}, 10*time.Second, 100*time.Millisecond)
		trainer, _ := s.WaitWorkspaceReady(t, teamA, "trainer")
		_, errOut, err := admin(trainer).WithStdin(workspaceYAML("child", "")).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, `a workspace of type "universal" is not allowed in `+trainer+` (of type "gpu"); it allows no child workspaces`)

		// team-b's own types are invisible from team-a, and team-b may not use org's gpu without a grant.
		admin(teamB).WithStdin("apiVersion: tenancy.gantry.dev/v1alpha1\nkind: WorkspaceType\nmetadata:\n  name: b-only\n").MustRun(t, "create", "-f", "-")
		_, errOut, err = alice(teamA+":sandbox").WithStdin(workspaceYAML("peek", "b-only")).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, `no WorkspaceType "b-only" is defined in root:org:team-a:sandbox`)
		_, errOut, err = s.KubectlAs(t, teamB, bobToken).WithStdin(workspaceYAML("trainer", "gpu")).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, `user "bob" may not use the workspace type "gpu"`)
	})

	t.Run("the use verb is needed for built-in types too", func(t *testing.T) {
		admin(teamA).MustRun(t, "create", "clusterrole", "workspace-creator", "--verb=create,get", "--resource=workspaces.tenancy.gantry.dev")
		admin(teamA).MustRun(t, "create", "clusterrolebinding", "dave-creates", "--clusterrole=workspace-creator", "--user=dave")
		_, errOut, err := s.KubectlAs(t, teamA, daveToken).WithStdin(workspaceYAML("daves", "")).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, `user "dave" may not use the workspace type "universal": it needs the verb "use" on workspacetypes "universal" in `+teamA)
	})

	t.Run("WorkspaceTypes are validated", func(t *testing.T) {
		_, errOut, err := admin(orgPath).WithStdin(`apiVersion: tenancy.gantry.dev/v1alpha1
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
	})
}
