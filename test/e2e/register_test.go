package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
)

// TestRegisterCluster: `kubectl gantry sync NAME` in a compute workspace creates the SyncTarget and a
// ServiceAccount that may only sync it, and writes the syncer's manifests, whose kubeconfig reaches the target, its
// status and its virtual workspace, and nothing else.
func TestRegisterCluster(t *testing.T) {
	s := harness.Start(t)
	providerPath, _ := s.CreateWorkspace(t, "root", "provider")
	s.Kubectl(providerPath).WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).MustRun(t, "create", "-f", "-")
	computePath, _ := s.CreateWorkspace(t, "root", "compute")
	s.CreateWorkspace(t, "root", "team-a")
	shell := s.UserShell(t, computePath, "")
	file := filepath.Join(t.TempDir(), "gpu-syncer.yaml")
	_, progress, err := shell.Run("gantry", "sync", "gpu", "--supported-api-export", providerPath+":widgets",
		"--label", "region=eu", "--syncer-image", "example.com/gantry-syncer:test", "-o", file)
	require.NoError(t, err, progress)
	assert.Contains(t, progress, "serviceaccount/gantry-syncer-gpu may sync synctarget/gpu")

	compute := s.Kubectl(computePath)
	assert.Equal(t, "eu "+providerPath+":widgets", compute.MustRun(t, "get", "synctarget", "gpu", "-o",
		`jsonpath={.metadata.labels.region} {.spec.supportedAPIExports[0].path}:{.spec.supportedAPIExports[0].export}`))
	assert.Contains(t, compute.MustRun(t, "get", "clusterrole", "gantry-syncer-gpu", "-o", "jsonpath={.rules}"), `"verbs":["sync"]`)

	manifests, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Contains(t, string(manifests), "--sync-target="+computePath+"/gpu")
	assert.Contains(t, string(manifests), "example.com/gantry-syncer:test")
	assert.Contains(t, string(manifests), "- example.com", "the export's group is writable downstream")
	syncer := syncerKubeconfig(t, string(manifests))
	run := func(args ...string) (string, error) {
		out, errOut, err := s.KubectlWith(syncer).Run(args...)
		return out + errOut, err
	}

	out, err := run("get", "synctarget", "gpu", "-o", "name")
	require.NoError(t, err, out)
	out, err = run("patch", "synctarget", "gpu", "--subresource=status", "--type=merge", "-p", `{"status":{"syncerVersion":"test"}}`)
	require.NoError(t, err, out, "the syncer writes its target's status")
	out, err = run("get", "--raw", "/services/syncer/"+computePath+"/gpu/clusters/*/apis/example.com/v1/widgets")
	require.NoError(t, err, out, "and reads its virtual workspace")

	for _, refused := range [][]string{
		{"patch", "synctarget", "gpu", "--type=merge", "-p", `{"spec":{"unschedulable":true}}`},
		{"get", "synctargets"},
		{"get", "configmaps", "-A"},
		{"get", "--server", s.URL("root:team-a"), "configmaps", "-A"},
		{"get", "--raw", "/services/syncer/" + computePath + "/other/clusters/*/apis/example.com/v1/widgets"},
	} {
		out, err := run(refused...)
		assert.Error(t, err, "%v: %s", refused, out)
	}

	t.Run("registering again updates the target and issues a new token", func(t *testing.T) {
		_, progress, err := shell.Run("gantry", "sync", "gpu", "--supported-api-export", providerPath+":widgets", "--label", "gpu=h100", "-o", file)
		require.NoError(t, err, progress)
		assert.Equal(t, "eu h100", compute.MustRun(t, "get", "synctarget", "gpu", "-o", `jsonpath={.metadata.labels.region} {.metadata.labels.gpu}`))
	})
	t.Run("bad input", func(t *testing.T) {
		_, errOut, err := shell.Run("gantry", "sync", "Bad_Name", "--supported-api-export", providerPath+":widgets")
		require.Error(t, err)
		assert.Contains(t, errOut, "invalid SyncTarget name")
		_, errOut, err = shell.Run("gantry", "sync", "gpu2", "--supported-api-export", "widgets")
		require.Error(t, err)
		assert.Contains(t, errOut, "<workspace path>:<export>")
		assert.Empty(t, strings.TrimSpace(compute.MustRun(t, "get", "synctarget", "gpu2", "--ignore-not-found", "-o", "name")))
	})
}

// syncerKubeconfig writes the upstream kubeconfig of the rendered manifests' Secret to a file and returns its path.
func syncerKubeconfig(t *testing.T, manifests string) string {
	t.Helper()
	for _, doc := range strings.Split(manifests, "---\n") {
		var secret corev1.Secret
		if yaml.Unmarshal([]byte(doc), &secret) == nil && secret.Kind == "Secret" {
			path := filepath.Join(t.TempDir(), "syncer.kubeconfig")
			require.NoError(t, os.WriteFile(path, []byte(secret.StringData["kubeconfig"]), 0o600))
			return path
		}
	}
	t.Fatal("no Secret in the manifests")
	return ""
}
