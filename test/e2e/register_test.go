package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/pkg/serviceaccount"
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
	assert.Equal(t, `[{"apiGroups":[""],"resourceNames":["gantry-syncer-gpu"],"resources":["serviceaccounts/token"],"verbs":["create"]}]`,
		compute.MustRun(t, "get", "role", "gantry-syncer-gpu", "-n", "default", "-o", "jsonpath={.rules}"), "it may renew its own token only")

	manifests, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Contains(t, string(manifests), "--sync-target="+computePath+"/gpu")
	assert.Contains(t, string(manifests), "example.com/gantry-syncer:test")
	assert.Contains(t, string(manifests), "- example.com", "the export's group is writable downstream")
	syncer := syncerKubeconfig(t, string(manifests))
	assertOnlySyncs(t, s, syncer, computePath, "gpu", "apis/example.com/v1/widgets")

	t.Run("the syncer's TokenRequest gets the life it asks for, within the server's limits", func(t *testing.T) {
		life := func(duration string) time.Duration {
			token := s.KubectlWith(syncer).MustRun(t, "create", "token", "gantry-syncer-gpu", "-n", "default", "--duration="+duration)
			info, err := serviceaccount.ReadUnverified(strings.TrimSpace(token))
			require.NoError(t, err)
			assert.Equal(t, "gantry-syncer-gpu", info.Name)
			return info.Expires.Sub(info.IssuedAt)
		}
		assert.Equal(t, 20*time.Minute, life("20m"))
		assert.Equal(t, serviceaccount.MaxExpiration, life("72h"), "capped at the server's maximum")
		_, errOut, err := s.KubectlWith(syncer).Run("create", "token", "gantry-syncer-gpu", "-n", "default", "--duration=1m")
		require.Error(t, err)
		assert.Contains(t, errOut, "spec.expirationSeconds must be at least 600")
	})

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

// assertOnlySyncs checks that the syncer credential of kubeconfig reaches its SyncTarget target in computePath,
// the target's status and its virtual workspace (resource, such as apis/apps/v1/deployments, in every workspace),
// may create tokens of its own ServiceAccount, and is refused everything else.
func assertOnlySyncs(t *testing.T, s *harness.Server, kubeconfig, computePath, target, resource string) {
	t.Helper()
	run := func(args ...string) (string, error) {
		out, errOut, err := s.KubectlWith(kubeconfig).Run(args...)
		return out + errOut, err
	}
	vw := "/services/syncer/" + computePath + "/"
	for _, allowed := range [][]string{
		{"get", "synctarget", target, "-o", "name"},
		{"patch", "synctarget", target, "--subresource=status", "--type=merge", "-p", `{"status":{"syncerVersion":"test"}}`},
		{"get", "--raw", vw + target + "/clusters/*/" + resource},
		{"create", "token", "gantry-syncer-" + target, "-n", "default", "--duration=10m"},
	} {
		out, err := run(allowed...)
		require.NoError(t, err, "%v: %s", allowed, out)
	}
	for _, refused := range [][]string{
		{"patch", "synctarget", target, "--type=merge", "-p", `{"spec":{"unschedulable":true}}`},
		{"get", "synctargets"},
		{"get", "configmaps", "-A"},
		{"get", "--server", s.URL("root:team-a"), "configmaps", "-A"},
		{"get", "--raw", vw + "other/clusters/*/" + resource},
		{"create", "token", "default", "-n", "default"},
		{"create", "token", "gantry-syncer-other", "-n", "default"},
		{"create", "token", "gantry-syncer-" + target, "-n", "default", "--server", s.URL("root:team-a")},
	} {
		out, err := run(refused...)
		assert.Error(t, err, "%v: %s", refused, out)
	}
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
