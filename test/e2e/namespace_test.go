package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
)

// fillNamespace creates namespace ns in a workspace with a configmap, a secret, a service account and a role.
func fillNamespace(t *testing.T, k *harness.Kubectl, ns string) {
	t.Helper()
	k.MustRun(t, "create", "namespace", ns)
	k.MustRun(t, "create", "configmap", "model", "-n", ns, "--from-literal=name=llama")
	k.MustRun(t, "create", "secret", "generic", "weights", "-n", ns, "--from-literal=k=v")
	k.MustRun(t, "create", "serviceaccount", "trainer", "-n", ns)
	k.MustRun(t, "create", "role", "reader", "-n", ns, "--verb=get", "--resource=configmaps")
}

func TestNamespaceDeletionEmptiesOneWorkspaceOnly(t *testing.T) {
	s := harness.Start(t)
	orgPath, _ := s.CreateWorkspace(t, "root", "org")
	teamA, _ := s.CreateWorkspace(t, orgPath, "team-a")
	teamB, _ := s.CreateWorkspace(t, orgPath, "team-b")
	a, b := s.Kubectl(teamA), s.Kubectl(teamB)
	for _, k := range []*harness.Kubectl{a, b} {
		fillNamespace(t, k, "ml")
	}
	a.WithStdin(samples.WidgetsCRD).MustRun(t, "apply", "-f", "-")
	a.MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	a.WithStdin(strings.Replace(widget("w", "{size: 3}"), "namespace: default", "namespace: ml", 1)).MustRun(t, "create", "-f", "-")
	a.MustRun(t, "create", "configmap", "keep", "-n", "default")

	assert.Equal(t, `["kubernetes"]`, a.MustRun(t, "get", "namespace", "ml", "-o", "jsonpath={.spec.finalizers}"))
	out := a.MustRun(t, "delete", "namespace", "ml", "--timeout=60s")
	assert.Contains(t, out, `namespace "ml" deleted`)
	_, errOut, err := a.Run("get", "namespace", "ml")
	require.Error(t, err, "kubectl delete waits until the namespace is gone")
	assert.Contains(t, errOut, "NotFound")
	for _, resource := range []string{"configmaps", "secrets", "serviceaccounts", "roles", "widgets"} {
		assert.Empty(t, a.MustRun(t, "get", resource, "-n", "ml", "-o", "name"), "%s in team-a's ml", resource)
	}
	assert.Equal(t, "configmap/keep\n", a.MustRun(t, "get", "configmap", "keep", "-n", "default", "-o", "name"), "other namespaces keep their content")

	assert.Equal(t, "Active", b.MustRun(t, "get", "namespace", "ml", "-o", "jsonpath={.status.phase}"))
	assert.Equal(t, "llama", b.MustRun(t, "get", "configmap", "model", "-n", "ml", "-o", "jsonpath={.data.name}"), "team-b's same-named namespace is untouched")
	for _, obj := range []string{"secret/weights", "serviceaccount/trainer", "role.rbac.authorization.k8s.io/reader"} {
		assert.Equal(t, obj+"\n", b.MustRun(t, "get", obj, "-n", "ml", "-o", "name"))
	}

	t.Run("a namespace stays Terminating while its content is held, and takes nothing new", func(t *testing.T) {
		a.MustRun(t, "create", "namespace", "held")
		a.WithStdin("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: held\n  finalizers: [example.com/hold]\n").MustRun(t, "create", "-f", "-")
		a.MustRun(t, "delete", "namespace", "held", "--wait=false")
		require.Eventually(t, func() bool {
			phase, _, _ := a.Run("get", "namespace", "held", "-o", "jsonpath={.status.phase}")
			deleting, _, _ := a.Run("get", "configmap", "held", "-n", "held", "-o", "jsonpath={.metadata.deletionTimestamp}")
			return phase == "Terminating" && deleting != ""
		}, 20*time.Second, 100*time.Millisecond)
		_, errOut, err := a.Run("create", "configmap", "late", "-n", "held")
		require.Error(t, err)
		assert.Contains(t, errOut, "because it is being terminated")

		a.MustRun(t, "patch", "configmap", "held", "-n", "held", "--type=json", "-p", `[{"op":"remove","path":"/metadata/finalizers"}]`)
		require.Eventually(t, func() bool {
			_, _, err := a.Run("get", "namespace", "held")
			return err != nil
		}, 20*time.Second, 100*time.Millisecond, "the namespace goes once its content has")
	})

	t.Run("the default namespace cannot be deleted", func(t *testing.T) {
		_, errOut, err := a.Run("delete", "namespace", "default")
		require.Error(t, err)
		assert.Contains(t, errOut, `namespaces "default" is forbidden: this namespace may not be deleted`)
	})

	t.Run("spec.finalizers changes only through namespaces/finalize", func(t *testing.T) {
		a.MustRun(t, "create", "namespace", "fin")
		a.MustRun(t, "patch", "namespace", "fin", "--type=merge", "-p", `{"spec":{"finalizers":[]}}`)
		assert.Equal(t, `["kubernetes"]`, a.MustRun(t, "get", "namespace", "fin", "-o", "jsonpath={.spec.finalizers}"))
	})
}
