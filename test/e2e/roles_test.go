package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
)

// gadgetsCRD is a CRD of the team workspace's own, next to the bound widgets.
const gadgetsCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.org}
spec:
  group: example.org
  names: {kind: Gadget, plural: gadgets, singular: gadget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`

// selfReviews are created by everyone who may enter a workspace, view included.
var selfReviews = map[string]bool{"selfsubjectaccessreviews.authorization.k8s.io": true,
	"selfsubjectrulesreviews.authorization.k8s.io": true, "selfsubjectreviews.authentication.k8s.io": true}

// canI runs kubectl auth can-i and returns its answer.
func canI(t *testing.T, k *harness.Kubectl, args ...string) bool {
	t.Helper()
	out, errOut, err := k.Run(append([]string{"auth", "can-i"}, args...)...)
	answer := strings.TrimSpace(out)
	require.Contains(t, []string{"yes", "no"}, answer, "kubectl auth can-i %v: %v\n%s", args, err, errOut)
	return answer == "yes"
}

// groupOf is the group of a resource as `kubectl api-resources -o name` prints it.
func groupOf(name string) string {
	if _, group, ok := strings.Cut(name, "."); ok {
		return group
	}
	return ""
}

// TestStandardRolesWithKubectl is the user story of the standard roles: a team member with edit binds an export
// (holding bind on it in the provider's workspace) and works with the bound and the workspace's own custom
// resources, but neither writes RBAC nor deletes a namespace; view reads everything but secrets.
func TestStandardRolesWithKubectl(t *testing.T) {
	s, _ := startWithUsers(t)
	providerPath, _ := s.CreateWorkspace(t, "root", "provider")
	team, _ := s.CreateWorkspace(t, "root", "team")
	provider, admin := s.Kubectl(providerPath), s.Kubectl(team)
	provider.WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport+"---\n"+mayBind("alice")+"---\n"+mayBind("bob")).MustRun(t, "create", "-f", "-")
	provider.MustRun(t, "wait", "--for=condition=IdentityValid", "apiexport/widgets", "--timeout=30s")
	admin.MustRun(t, "create", "namespace", "n1")
	admin.MustRun(t, "create", "clusterrolebinding", "alice-edit", "--clusterrole=edit", "--user=alice")
	admin.MustRun(t, "create", "clusterrolebinding", "carol-view", "--clusterrole=view", "--user=carol")
	admin.MustRun(t, "create", "rolebinding", "bob-edit", "--clusterrole=edit", "--user=bob", "-n", "n1")
	alice, bob, carol := s.KubectlAs(t, team, aliceToken), s.KubectlAs(t, team, bobToken), s.KubectlAs(t, team, carolToken)

	t.Run("edit binds an export and works with bound and custom resources", func(t *testing.T) {
		alice.WithStdin(bindingYAML("widgets", providerPath)).MustRun(t, "create", "-f", "-")
		alice.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
		alice.WithStdin(widget("w1", "{size: 2}")).MustRun(t, "create", "-f", "-")
		alice.MustRun(t, "patch", "widget", "w1", "--type=merge", "-p", `{"spec":{"size":3}}`)
		assert.Equal(t, "3", alice.MustRun(t, "get", "widget", "w1", "-o", "jsonpath={.spec.size}"))
		alice.WithStdin(gadgetsCRD).MustRun(t, "create", "-f", "-")
		alice.MustRun(t, "wait", "--for=condition=Established", "crd/gadgets.example.org", "--timeout=30s")
		alice.WithStdin("apiVersion: example.org/v1\nkind: Gadget\nmetadata: {name: g1, namespace: default}\n").MustRun(t, "create", "-f", "-")
		alice.MustRun(t, "delete", "gadget", "g1")
		bob.WithStdin(strings.Replace(widget("w2", "{size: 1}"), "namespace: default", "namespace: n1", 1)).MustRun(t, "create", "-f", "-")
		list := alice.MustRun(t, "auth", "can-i", "--list")
		for _, groups := range []string{"*.example.com", "*.example.org", "*.apis.gantry.dev", "*.apiextensions.k8s.io"} {
			assert.Contains(t, list, groups, "the rules review shows what edit reaches")
		}
	})

	t.Run("edit writes the built-in resources but RBAC", func(t *testing.T) {
		alice.MustRun(t, "create", "configmap", "c1", "--from-literal=k=v")
		alice.MustRun(t, "create", "secret", "generic", "s1", "--from-literal=k=v")
		alice.MustRun(t, "create", "serviceaccount", "sa1")
		assert.NotEmpty(t, alice.MustRun(t, "create", "token", "sa1"))
		alice.WithStdin("apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l1, namespace: default}\n").MustRun(t, "create", "-f", "-")
		alice.MustRun(t, "delete", "configmap", "c1")
		_, errOut, err := alice.Run("create", "role", "r", "--verb=get", "--resource=configmaps")
		require.Error(t, err, "edit only reads RBAC")
		assert.Contains(t, errOut, `cannot create resource "roles"`)
		assert.NotEmpty(t, alice.MustRun(t, "get", "clusterrolebindings", "-o", "name"), "edit reads RBAC")
	})

	t.Run("edit does not write namespaces, through a ClusterRoleBinding or a RoleBinding", func(t *testing.T) {
		assert.False(t, canI(t, alice, "delete", "namespaces"))
		assert.True(t, canI(t, alice, "get", "namespaces"))
		_, errOut, err := alice.Run("delete", "namespace", "n1")
		require.Error(t, err)
		assert.Contains(t, errOut, "Forbidden")
		_, errOut, err = alice.Run("create", "namespace", "n2")
		require.Error(t, err)
		assert.Contains(t, errOut, "Forbidden")

		assert.False(t, canI(t, bob, "delete", "namespaces/n1", "-n", "n1"), "edit bound in n1 does not delete n1")
		assert.False(t, canI(t, bob, "delete", "namespaces", "-n", "n1"))
		assert.True(t, canI(t, bob, "create", "widgets", "-n", "n1"))
		_, errOut, err = bob.Run("delete", "namespace", "n1")
		require.Error(t, err)
		assert.Contains(t, errOut, "Forbidden")
		assert.Equal(t, "Active", admin.MustRun(t, "get", "namespace", "n1", "-o", "jsonpath={.status.phase}"))
		assert.True(t, canI(t, admin, "delete", "namespaces"), "the workspace's cluster-admin does")
	})

	t.Run("view reads, and edit writes, every served resource the doc names", func(t *testing.T) {
		everyServedResource(t, admin, alice, carol)
		assert.Equal(t, "3", carol.MustRun(t, "get", "widget", "w1", "-o", "jsonpath={.spec.size}"))
	})
}

// everyServedResource checks, over every resource the workspace serves (kubectl api-resources), that view
// (carol) lists all but secrets and creates nothing but self reviews, and that edit (alice) creates and deletes
// all but RBAC and namespaces; then view lists each listable resource for real.
func everyServedResource(t *testing.T, admin, alice, carol *harness.Kubectl) {
	served := strings.Fields(admin.MustRun(t, "api-resources", "-o", "name"))
	require.Contains(t, served, "widgets.example.com", "the bound resource")
	require.Contains(t, served, "gadgets.example.org", "the workspace's own CRD")
	require.Contains(t, served, "apibindings.apis.gantry.dev")
	for _, resource := range served {
		group := groupOf(resource)
		assert.Equal(t, resource != "secrets", canI(t, carol, "list", resource), "view lists %s", resource)
		assert.Equal(t, selfReviews[resource], canI(t, carol, "create", resource), "view creates %s", resource)
		writable := group != "rbac.authorization.k8s.io" && resource != "namespaces"
		assert.Equal(t, writable, canI(t, alice, "create", resource), "edit creates %s", resource)
		assert.Equal(t, writable, canI(t, alice, "delete", resource), "edit deletes %s", resource)
	}
	for _, resource := range strings.Fields(admin.MustRun(t, "api-resources", "--verbs=list", "-o", "name")) {
		_, errOut, err := carol.Run("get", resource, "--all-namespaces")
		if resource == "secrets" {
			require.Error(t, err, "view does not read secrets")
			assert.Contains(t, errOut, "Forbidden")
			continue
		}
		assert.NoError(t, err, "view lists %s: %s", resource, errOut)
	}
}
