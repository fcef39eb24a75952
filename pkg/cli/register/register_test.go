package register

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

func TestRenderFillsInTheBase(t *testing.T) {
	out, err := Render(Manifests{Name: "gpu-eu", TargetPath: "root:compute", Namespace: "syncers", Image: "example.com/syncer:v1",
		Kubeconfig: []byte("apiVersion: v1\nkind: Config\n"), ExtraGroups: []string{"example.com"}})
	require.NoError(t, err)
	docs := strings.Split(strings.TrimPrefix(string(out), "---\n"), "---\n")
	require.Len(t, docs, 8, "namespace, serviceaccount, clusterrole, clusterrolebinding, role, rolebinding, secret, deployment")

	var ns corev1.Namespace
	require.NoError(t, yaml.Unmarshal([]byte(docs[0]), &ns))
	assert.Equal(t, "syncers", ns.Name)
	var sa corev1.ServiceAccount
	require.NoError(t, yaml.Unmarshal([]byte(docs[1]), &sa))
	assert.Equal(t, "syncers/gantry-syncer-gpu-eu", sa.Namespace+"/"+sa.Name)
	var role rbacv1.ClusterRole
	require.NoError(t, yaml.Unmarshal([]byte(docs[2]), &role))
	assert.Equal(t, "gantry-syncer-gpu-eu", role.Name)
	assert.Equal(t, []string{"example.com"}, role.Rules[len(role.Rules)-1].APIGroups, "the exports' groups are writable")
	var binding rbacv1.ClusterRoleBinding
	require.NoError(t, yaml.Unmarshal([]byte(docs[3]), &binding))
	assert.Equal(t, "gantry-syncer-gpu-eu", binding.RoleRef.Name)
	assert.Equal(t, []rbacv1.Subject{{Kind: "ServiceAccount", Name: "gantry-syncer-gpu-eu", Namespace: "syncers"}}, binding.Subjects)
	var own rbacv1.Role
	require.NoError(t, yaml.Unmarshal([]byte(docs[4]), &own))
	assert.Equal(t, "syncers/gantry-syncer-gpu-eu", own.Namespace+"/"+own.Name)
	assert.Equal(t, []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"gantry-syncer-gpu-eu"},
		Verbs: []string{"get", "update"}}}, own.Rules, "the syncer updates its own Secret and no other")
	var ownBinding rbacv1.RoleBinding
	require.NoError(t, yaml.Unmarshal([]byte(docs[5]), &ownBinding))
	assert.Equal(t, "syncers/gantry-syncer-gpu-eu", ownBinding.Namespace+"/"+ownBinding.Name)
	assert.Equal(t, "gantry-syncer-gpu-eu", ownBinding.RoleRef.Name)
	assert.Equal(t, []rbacv1.Subject{{Kind: "ServiceAccount", Name: "gantry-syncer-gpu-eu", Namespace: "syncers"}}, ownBinding.Subjects)
	var secret corev1.Secret
	require.NoError(t, yaml.Unmarshal([]byte(docs[6]), &secret))
	assert.Equal(t, "apiVersion: v1\nkind: Config\n", secret.StringData["kubeconfig"])
	var deploy appsv1.Deployment
	require.NoError(t, yaml.Unmarshal([]byte(docs[7]), &deploy))
	pod := deploy.Spec.Template.Spec
	assert.Equal(t, "gantry-syncer-gpu-eu", pod.ServiceAccountName)
	assert.Equal(t, "gantry-syncer-gpu-eu", pod.Volumes[0].Secret.SecretName)
	assert.Equal(t, "example.com/syncer:v1", pod.Containers[0].Image)
	assert.Contains(t, pod.Containers[0].Args, "--sync-target=root:compute/gpu-eu")
	assert.Contains(t, pod.Containers[0].Args, "--from-kubeconfig=/etc/gantry/kubeconfig")
	assert.Contains(t, pod.Containers[0].Args, "--token-secret=syncers/gantry-syncer-gpu-eu", "renewed tokens go to the mounted Secret")
}

func TestParseExports(t *testing.T) {
	refs, err := ParseExports([]string{"root:provider:widgets", "root:models"})
	require.NoError(t, err)
	assert.Equal(t, "root:provider", refs[0].Path)
	assert.Equal(t, "widgets", refs[0].Export)
	assert.Equal(t, "root", refs[1].Path)
	for _, bad := range []string{"widgets", "root:", ":widgets"} {
		_, err := ParseExports([]string{bad})
		assert.Error(t, err, bad)
	}
}

// The base is a kustomization kubectl itself builds.
func TestBaseBuildsWithKustomize(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl is not installed")
	}
	_, file, _, _ := runtime.Caller(0)
	out, err := exec.Command(kubectl, "kustomize", filepath.Join(filepath.Dir(file), "..", "..", "..", "config", "syncer")).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Contains(t, string(out), "kind: Deployment")
}
