package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/config/samples"
)

func TestKubectlWorkspacePlugins(t *testing.T) {
	s, _ := startWithUsers(t)
	sh := s.UserShell(t, "root", "")

	assert.Equal(t, "Current workspace is \"root\".\n", sh.MustRun(t, "ws"))
	out := sh.MustRun(t, "create", "workspace", "org", "--enter")
	assert.Contains(t, out, `Workspace "org" created in "root"`)
	assert.Contains(t, out, `Workspace "root:org" is ready to use.`)
	assert.Contains(t, out, `Current workspace is "root:org".`)
	assert.Equal(t, "Current workspace is \"root:org\".\n", sh.MustRun(t, "ws", "."))

	sh.MustRun(t, "create", "workspace", "team-a")
	sh.MustRun(t, "create", "workspace", "team-b")
	_, errOut, err := sh.Run("create", "workspace", "team-a")
	require.Error(t, err)
	assert.Contains(t, errOut, "already exists")
	assert.Contains(t, errOut, "--ignore-existing")
	assert.Contains(t, sh.MustRun(t, "create", "workspace", "team-a", "--ignore-existing"), "already exists")
	_, errOut, err = sh.Run("create", "workspace", "Bad_Name")
	require.Error(t, err)
	assert.Contains(t, errOut, "workspace name")

	// Moving changes where plain kubectl commands go.
	sh.MustRun(t, "ws", "team-a")
	sh.MustRun(t, "create", "configmap", "here")
	assert.Equal(t, "Current workspace is \"root:org:team-a\".\n", sh.MustRun(t, "ws", "."))
	sh.MustRun(t, "ws", "..")
	assert.Equal(t, "Current workspace is \"root:org\".\n", sh.MustRun(t, "ws", "."))
	assert.Equal(t, "Current workspace is \"root:org:team-a\".\n", sh.MustRun(t, "ws", "-"))
	assert.Equal(t, "configmap/here\n", sh.MustRun(t, "get", "configmaps", "-o", "name", "--field-selector", "metadata.name!=kube-root-ca.crt"))
	sh.MustRun(t, "ws", ":root:org:team-b")
	assert.Empty(t, sh.MustRun(t, "get", "configmaps", "-o", "name", "--field-selector", "metadata.name!=kube-root-ca.crt"), "team-b does not see team-a's configmap")
	sh.MustRun(t, "ws", "root")

	tree := sh.MustRun(t, "ws", "tree")
	assert.Equal(t, "root\n└── org\n    ├── team-a\n    └── team-b\n", tree)

	_, errOut, err = sh.Run("ws", "org:nope")
	require.Error(t, err)
	assert.Contains(t, errOut, `workspace "root:org:nope" does not exist or you have no access to it`)
	assert.Equal(t, "Current workspace is \"root\".\n", sh.MustRun(t, "ws", "."), "a failed move changes nothing")

	// A token user: the same answer for a workspace it may not enter and one that does not exist.
	s.Kubectl("root:org:team-a").MustRun(t, "create", "clusterrolebinding", "alice", "--clusterrole=admin", "--user=alice")
	alice := s.UserShell(t, "root:org:team-a", aliceToken)
	_, inB, err := alice.Run("ws", ":root:org:team-b")
	require.Error(t, err)
	_, inMissing, err := alice.Run("ws", ":root:org:team-z")
	require.Error(t, err)
	assert.Equal(t, strings.ReplaceAll(inB, "team-b", "X"), strings.ReplaceAll(inMissing, "team-z", "X"))
	out = alice.MustRun(t, "create", "workspace", "mine", "--enter")
	assert.Contains(t, out, `Current workspace is "root:org:team-a:mine".`)
	alice.MustRun(t, "create", "clusterrole", "alice-owns-this", "--verb=get", "--resource=configmaps")
}

// TestKubectlPluginsTakeKubectlFlags: the plugins accept kubectl's client flags and -o, and their help reads as
// kubectl shows it.
func TestKubectlPluginsTakeKubectlFlags(t *testing.T) {
	s, _ := startWithUsers(t)
	providerPath, _ := s.CreateWorkspace(t, "root", "provider")
	teamA, _ := s.CreateWorkspace(t, "root", "team-a")
	teamB, _ := s.CreateWorkspace(t, "root", "team-b")
	schema := s.UserShell(t, providerPath, "").WithStdin(samples.WidgetsCRD).MustRun(t, "gantry", "schema", "from-crd", "-", "--prefix", "v1")
	s.Kubectl(providerPath).WithStdin(schema+"---\n"+samples.WidgetsAPIExport+"---\n"+mayBind("alice")).MustRun(t, "create", "-f", "-")
	for _, team := range []string{teamA, teamB} {
		s.Kubectl(team).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user=alice")
	}

	// Bob's shell in root, and no kubeconfig at all: only the flags say where to go and who alice is.
	empty := filepath.Join(t.TempDir(), "empty.kubeconfig")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	bob := s.UserShell(t, "root", bobToken)
	out := bob.MustRun(t, "gantry", "bind", "apiexport", providerPath+":widgets", "--kubeconfig", empty,
		"--server", s.URL(teamA), "--token", aliceToken, "--insecure-skip-tls-verify", "-o", "name")
	assert.Equal(t, "apibinding.apis.gantry.dev/widgets\n", out, "-o name prints only the object")
	assert.Equal(t, "Bound", s.Kubectl(teamA).MustRun(t, "get", "apibinding", "widgets", "-o", "jsonpath={.status.phase}"))

	// The admin's shell in root, impersonating alice in team-b.
	admin := s.UserShell(t, "root", "")
	out = admin.MustRun(t, "gantry", "bind", "apiexport", providerPath+":widgets", "--server", s.URL(teamB), "--as", "alice", "--name", "w", "-o", "yaml")
	assert.Contains(t, out, "kind: APIBinding")
	assert.Contains(t, out, "name: w\n")
	assert.Contains(t, out, "phase: Bound")
	assert.NotContains(t, out, "waiting for it to be bound")
	_, errOut, err := admin.Run("gantry", "bind", "apiexport", providerPath+":widgets", "--server", s.URL(teamB), "--as", "carol", "--name", "c")
	require.Error(t, err)
	assert.Contains(t, errOut, "forbidden", "--as is honoured: carol may not bind in team-b")
	_, errOut, err = admin.Run("gantry", "bind", "apiexport", providerPath+":widgets", "-o", "table")
	require.Error(t, err)
	assert.Contains(t, errOut, `error: unable to match a printer suitable for the output format "table"`)
	_, errOut, err = admin.Run("gantry", "bind", "apiexport", "x", "--bogus")
	require.Error(t, err)
	assert.Equal(t, "error: unknown flag: --bogus\nSee 'kubectl gantry bind apiexport --help' for usage.\n", errOut)

	// kubectl ws: --server applies to one invocation; create workspace prints the Workspace with -o.
	assert.Equal(t, "Current workspace is \"root:team-a\".\n", admin.MustRun(t, "ws", ".", "--server", s.URL(teamA)))
	assert.Equal(t, "Current workspace is \"root\".\n", admin.MustRun(t, "ws"))
	assert.Equal(t, "workspace.tenancy.gantry.dev/inner\n", admin.MustRun(t, "create", "workspace", "inner", "--server", s.URL(teamA), "-o", "name"))
	assert.Equal(t, "root:team-a\n└── inner\n", admin.MustRun(t, "ws", "tree", "--server", s.URL(teamA)))
	out = admin.MustRun(t, "create", "workspace", "made", "-o", "yaml")
	assert.Contains(t, out, "kind: Workspace")
	assert.Contains(t, out, "phase: Ready")

	// Help and usage lines read as kubectl shows them.
	help := admin.MustRun(t, "gantry", "--help")
	assert.Contains(t, help, "kubectl gantry bind apiexport")
	assert.Contains(t, help, `Use "kubectl gantry [command] --help"`)
	help = admin.MustRun(t, "gantry", "bind", "apiexport", "--help")
	assert.Contains(t, help, "kubectl gantry bind apiexport <workspace path>:<export> [--name NAME] [flags]")
	for _, flag := range []string{"--server", "--token", "--as", "--namespace", "--insecure-skip-tls-verify", "--output"} {
		assert.Contains(t, help, flag)
	}
	assert.Contains(t, admin.MustRun(t, "ws", "--help"), "kubectl ws [<path>")
	assert.Contains(t, admin.MustRun(t, "create", "workspace", "--help"), "kubectl create workspace NAME")
}
