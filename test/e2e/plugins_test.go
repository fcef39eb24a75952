package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	assert.Equal(t, "configmap/here\n", sh.MustRun(t, "get", "configmaps", "-o", "name"))
	sh.MustRun(t, "ws", ":root:org:team-b")
	assert.Empty(t, sh.MustRun(t, "get", "configmaps", "-o", "name"), "team-b does not see team-a's configmap")
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
