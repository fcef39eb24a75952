package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
)

// bindingYAML is an APIBinding of the widgets export of a provider workspace.
func bindingYAML(name, providerPath string) string {
	return "apiVersion: apis.gantry.dev/v1alpha1\nkind: APIBinding\nmetadata: {name: " + name + "}\nspec:\n  reference:\n    export: {path: '" + providerPath + "', name: widgets}\n"
}

// mayBind is a ClusterRole and binding letting user bind the widgets export.
func mayBind(user string) string {
	return `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: bind-widgets-` + user + `}
rules:
- {apiGroups: [apis.gantry.dev], resources: [apiexports], resourceNames: [widgets], verbs: [bind]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bind-widgets-` + user + `}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: bind-widgets-` + user + `}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: ` + user + `}
`
}

// apiBindingFixture holds the server, workspaces and kubectls that the subtests of TestAPIBindings share.
type apiBindingFixture struct {
	s                   *harness.Server
	providerPath        string
	orgPath             string
	teamA, teamB, teamC string
	provider            *harness.Kubectl
	alice, bob          *harness.Kubectl // team-a's and team-b's admins, in their teams
}

// setupAPIBindings creates a provider workspace exporting widgets, and team-a, team-b and team-c under org, and
// checks that the export gets an identity and a virtual workspace URL.
func setupAPIBindings(t *testing.T) *apiBindingFixture {
	s, _ := startWithUsers(t)
	f := &apiBindingFixture{s: s}
	f.providerPath, _ = s.CreateWorkspace(t, "root", "provider")
	f.orgPath, _ = s.CreateWorkspace(t, "root", "org")
	f.teamA, _ = s.CreateWorkspace(t, f.orgPath, "team-a")
	f.teamB, _ = s.CreateWorkspace(t, f.orgPath, "team-b")
	f.teamC, _ = s.CreateWorkspace(t, f.orgPath, "team-c")
	f.provider = s.Kubectl(f.providerPath)
	f.provider.WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport+"---\n"+mayBind("alice")+"---\n"+mayBind("bob")).MustRun(t, "create", "-f", "-")
	s.Kubectl(f.teamA).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user=alice", "--user=carol")
	s.Kubectl(f.teamB).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user=bob")
	f.alice, f.bob = s.KubectlAs(t, f.teamA, aliceToken), s.KubectlAs(t, f.teamB, bobToken)

	f.provider.MustRun(t, "wait", "--for=condition=IdentityValid", "apiexport/widgets", "--timeout=30s")
	assert.Len(t, f.provider.MustRun(t, "get", "apiexport", "widgets", "-o", "jsonpath={.status.identityHash}"), 64)
	assert.True(t, strings.HasSuffix(f.provider.MustRun(t, "get", "apiexport", "widgets", "-o", "jsonpath={.status.virtualWorkspaceURL}"),
		"/services/apiexport/root:provider/widgets"))
	return f
}

func TestAPIBindings(t *testing.T) {
	f := setupAPIBindings(t)
	t.Run("binding needs the bind verb on the export", func(t *testing.T) { testBindingNeedsBindVerb(t, f) })

	f.alice.WithStdin(bindingYAML("widgets", f.providerPath)).MustRun(t, "create", "-f", "-")
	f.bob.WithStdin(bindingYAML("widgets", f.providerPath)).MustRun(t, "create", "-f", "-")
	for _, k := range []*harness.Kubectl{f.alice, f.bob} {
		k.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
	}

	t.Run("bound resources are served like CRDs, each workspace apart", func(t *testing.T) { testBoundResourcesServed(t, f) })
	t.Run("the provider sees every bound object through the virtual workspace, and nothing else", func(t *testing.T) {
		testProviderVirtualWorkspace(t, f)
	})
	t.Run("a second provider of the same group and resource stays separate", func(t *testing.T) { testSecondProviderSeparate(t, f) })
	t.Run("a clash with a local CRD is reported, and nothing is overwritten", func(t *testing.T) { testBindingClashWithLocalCRD(t, f) })
	t.Run("a new schema version reaches the bindings, and old objects stay readable", func(t *testing.T) { testBindingNewSchemaVersion(t, f) })
	t.Run("deleting a binding erases its objects in that workspace only", func(t *testing.T) { testDeleteBinding(t, f) })
}

// testBindingNeedsBindVerb checks that carol, without bind on the export, is refused alike for a real and a missing provider.
func testBindingNeedsBindVerb(t *testing.T, f *apiBindingFixture) {
	_, errOut, err := f.s.KubectlAs(t, f.teamA, carolToken).WithStdin(bindingYAML("widgets", f.providerPath)).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, `user "carol" may not bind APIExport "widgets" of root:provider: it needs the verb "bind" on apiexports "widgets" there`)
	_, errOut2, err := f.s.KubectlAs(t, f.teamA, carolToken).WithStdin(bindingYAML("widgets", "root:nowhere")).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Equal(t, strings.Replace(errOut, "root:provider", "root:nowhere", 1), errOut2, "a missing workspace looks the same")
}

// testBoundResourcesServed checks that bound widgets behave like CRD-served ones, apart in team-a and team-b and absent in team-c.
func testBoundResourcesServed(t *testing.T, f *apiBindingFixture) {
	alice, bob := f.alice, f.bob
	assert.Contains(t, alice.MustRun(t, "api-resources", "--api-group=example.com"), "widgets")
	alice.WithStdin(widget("w1", "{size: 3}")).MustRun(t, "create", "-f", "-")
	bob.WithStdin(widget("w1", "{size: 7}")).MustRun(t, "create", "-f", "-")
	assert.Equal(t, "3", alice.MustRun(t, "get", "widget", "w1", "-o", "jsonpath={.spec.size}"))
	assert.Equal(t, "7", bob.MustRun(t, "get", "widget", "w1", "-o", "jsonpath={.spec.size}"))
	assert.Regexp(t, `w1\s+3`, alice.MustRun(t, "get", "widgets"), "printer columns")
	assert.Contains(t, alice.MustRun(t, "explain", "widget.spec.size"), "integer")
	_, errOut, err := alice.WithStdin(widget("big", "{size: 500}")).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, "size must be at most 100")
	alice.MustRun(t, "patch", "widget", "w1", "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Ready"}}`)
	assert.Equal(t, "Ready", alice.MustRun(t, "get", "widget", "w1", "-o", "jsonpath={.status.phase}"))
	assert.Equal(t, "", bob.MustRun(t, "get", "widget", "w1", "-o", "jsonpath={.status.phase}"))
	_, _, err = f.s.Kubectl(f.teamC).Run("get", "widgets")
	assert.Error(t, err, "a workspace without the binding does not serve widgets")
}

// testProviderVirtualWorkspace checks that the export's virtual workspace shows every bound widget, writes status
// to the right workspace, and refuses everything else.
func testProviderVirtualWorkspace(t *testing.T, f *apiBindingFixture) {
	s, orgPath, bob := f.s, f.orgPath, f.bob
	f.provider.WithStdin(widgetsContent).MustRun(t, "create", "-f", "-")
	vw := strings.TrimSuffix(s.URL("root"), "/clusters/root") + "/services/apiexport/" + f.providerPath + "/widgets"
	dave := s.KubectlAs(t, f.teamA, daveToken)
	all := dave.MustRun(t, "--server", vw+"/clusters/*", "get", "widgets", "-A",
		"-o", `jsonpath={range .items[*]}{.metadata.annotations.gantry\.dev/cluster}/{.metadata.name}={.spec.size} {end}`)
	_, clusterA := s.WaitWorkspaceReady(t, orgPath, "team-a")
	_, clusterB := s.WaitWorkspaceReady(t, orgPath, "team-b")
	assert.ElementsMatch(t, []string{clusterA + "/w1=3", clusterB + "/w1=7"}, strings.Fields(all))

	assert.Contains(t, dave.MustRun(t, "--server", vw+"/clusters/*", "explain", "widgets.spec"), "size", "OpenAPI v3 of the export")
	inB := dave.WithStdin("").MustRun(t, "--server", vw+"/clusters/"+clusterB, "patch", "widget", "w1", "--subresource=status",
		"--type=merge", "-p", `{"status":{"phase":"Provisioned"}}`, "-o", "jsonpath={.status.phase}")
	assert.Equal(t, "Provisioned", inB)
	assert.Equal(t, "Provisioned", bob.MustRun(t, "get", "widget", "w1", "-o", "jsonpath={.status.phase}"))
	assert.Equal(t, "Ready", f.alice.MustRun(t, "get", "widget", "w1", "-o", "jsonpath={.status.phase}"), "team-a's w1 is another object")

	for _, args := range [][]string{
		{"--server", vw + "/clusters/" + clusterB, "delete", "widget", "w1"},
		{"--server", vw + "/clusters/" + clusterB, "create", "configmap", "x"},
		{"--server", vw + "/clusters/*", "get", "configmaps", "-A"},
	} {
		_, errOut, err := dave.Run(args...)
		assert.Error(t, err, "%v", args)
		assert.Regexp(t, `(?i)forbidden|not ?found|the server doesn't have a resource type`, errOut, "%v", args)
	}
	_, clusterC := s.WaitWorkspaceReady(t, orgPath, "team-c")
	_, errOut, err := dave.Run("--server", vw+"/clusters/"+clusterC, "get", "widgets", "-A")
	require.Error(t, err, "team-c does not bind this export")
	assert.Contains(t, errOut, "NotFound")
	_, errOut, err = bob.Run("get", "--raw", "/services/apiexport/root:provider/widgets/clusters/*/apis/example.com/v1/widgets")
	require.Error(t, err, "bob holds no content verb on the export")
	assert.Contains(t, errOut, "access to the virtual workspace is denied")
	_, errOut2, err := bob.Run("get", "--raw", "/services/apiexport/root:nowhere/widgets/clusters/*/apis/example.com/v1/widgets")
	require.Error(t, err)
	assert.Equal(t, errOut, errOut2, "a missing export looks the same")
}

// testSecondProviderSeparate checks that a second export of widgets has its own identity and objects, and that
// binding both in one workspace is a reported clash that changes nothing.
func testSecondProviderSeparate(t *testing.T, f *apiBindingFixture) {
	s, orgPath := f.s, f.orgPath
	provider2Path, _ := s.CreateWorkspace(t, "root", "provider2")
	p2 := s.Kubectl(provider2Path)
	p2.WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport+"---\n"+widgetsContent).MustRun(t, "create", "-f", "-")
	p2.MustRun(t, "wait", "--for=condition=IdentityValid", "apiexport/widgets", "--timeout=30s")
	assert.NotEqual(t, f.provider.MustRun(t, "get", "apiexport", "widgets", "-o", "jsonpath={.status.identityHash}"),
		p2.MustRun(t, "get", "apiexport", "widgets", "-o", "jsonpath={.status.identityHash}"))
	teamD, clusterD := s.CreateWorkspace(t, orgPath, "team-d")
	d := s.Kubectl(teamD)
	d.WithStdin(bindingYAML("widgets", provider2Path)).MustRun(t, "create", "-f", "-")
	d.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
	d.WithStdin(widget("w1", "{size: 11}")).MustRun(t, "create", "-f", "-")

	base := strings.TrimSuffix(s.URL("root"), "/clusters/root") + "/services/apiexport/"
	dave := s.KubectlAs(t, f.teamA, daveToken)
	list := func(providerPath string) []string {
		return strings.Fields(dave.MustRun(t, "--server", base+providerPath+"/widgets/clusters/*", "get", "widgets", "-A",
			"-o", `jsonpath={range .items[*]}{.metadata.annotations.gantry\.dev/cluster}={.spec.size} {end}`))
	}
	_, clusterA := s.WaitWorkspaceReady(t, orgPath, "team-a")
	_, clusterB := s.WaitWorkspaceReady(t, orgPath, "team-b")
	assert.ElementsMatch(t, []string{clusterA + "=3", clusterB + "=7"}, list(f.providerPath))
	assert.Equal(t, []string{clusterD + "=11"}, list(provider2Path))

	// team-b binds provider's widgets already: binding provider2's too is a clash, reported, and changes nothing.
	s.Kubectl(f.teamB).WithStdin(bindingYAML("widgets-2", provider2Path)).MustRun(t, "create", "-f", "-")
	s.Kubectl(f.teamB).MustRun(t, "wait", "--for=condition=NamesAccepted=False", "apibinding/widgets-2", "--timeout=30s")
	assert.Contains(t, s.Kubectl(f.teamB).MustRun(t, "get", "apibinding", "widgets-2", "-o", `jsonpath={.status.conditions[?(@.type=="NamesAccepted")].message}`),
		`widgets.example.com is already bound by APIBinding "widgets"`)
	assert.Equal(t, "7", f.bob.MustRun(t, "get", "widget", "w1", "-o", "jsonpath={.spec.size}"))
	assert.ElementsMatch(t, []string{clusterA + "=3", clusterB + "=7"}, list(f.providerPath), "team-b still serves provider's widgets")
}

// testBindingClashWithLocalCRD checks that a binding clashing with a local CRD waits until the CRD is gone, and
// that a CRD created after a binding is the one refused.
func testBindingClashWithLocalCRD(t *testing.T, f *apiBindingFixture) {
	c, bob := f.s.Kubectl(f.teamC), f.bob
	c.WithStdin(samples.WidgetsCRD).MustRun(t, "apply", "-f", "-")
	c.MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	c.WithStdin(widget("local", "{size: 1}")).MustRun(t, "create", "-f", "-")
	c.WithStdin(bindingYAML("widgets", f.providerPath)).MustRun(t, "create", "-f", "-")
	c.MustRun(t, "wait", "--for=condition=NamesAccepted=False", "apibinding/widgets", "--timeout=30s")
	assert.Contains(t, c.MustRun(t, "get", "apibinding", "widgets", "-o", `jsonpath={.status.conditions[?(@.type=="NamesAccepted")].message}`),
		"widgets.example.com is already defined by a CustomResourceDefinition in this workspace")
	assert.Equal(t, "Binding", c.MustRun(t, "get", "apibinding", "widgets", "-o", "jsonpath={.status.phase}"))
	assert.Equal(t, "widget.example.com/local\n", c.MustRun(t, "get", "widgets", "-o", "name"), "the local CRD still serves")
	// Once the CRD is gone, nothing clashes any more: the binding applies.
	c.MustRun(t, "delete", "crd", "widgets.example.com")
	c.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
	require.Eventually(t, func() bool {
		out, _, err := c.Run("get", "widgets", "-o", "name")
		return err == nil && out == ""
	}, 20*time.Second, 100*time.Millisecond, "team-c now serves the bound widgets, empty")

	// The other way round: a CRD created after the binding is the one refused.
	bob.WithStdin(samples.WidgetsCRD).MustRun(t, "apply", "-f", "-")
	require.Eventually(t, func() bool {
		out, _, _ := bob.Run("get", "crd", "widgets.example.com", "-o", `jsonpath={.status.conditions[?(@.type=="NamesAccepted")].status}`)
		return out == "False"
	}, 20*time.Second, 100*time.Millisecond)
	assert.Equal(t, "7", bob.MustRun(t, "get", "widget", "w1", "-o", "jsonpath={.spec.size}"), "the bound resource is still served")
	assert.Equal(t, "Bound", bob.MustRun(t, "get", "apibinding", "widgets", "-o", "jsonpath={.status.phase}"))
}

// testBindingNewSchemaVersion checks that a v2 schema in the export reaches team-a's binding while v1 stays readable.
func testBindingNewSchemaVersion(t *testing.T, f *apiBindingFixture) {
	alice := f.alice
	v2 := strings.NewReplacer("name: v1.widgets.example.com", "name: v2.widgets.example.com",
		"  - name: v1\n    served: true\n    storage: true\n", "  - name: v1\n    served: true\n    storage: false\n").Replace(samples.WidgetsSchema)
	v2 += strings.Replace(v2[strings.Index(v2, "  - name: v1"):], "  - name: v1\n    served: true\n    storage: false\n", "  - name: v2\n    served: true\n    storage: true\n", 1)
	f.provider.WithStdin(v2).MustRun(t, "create", "-f", "-")
	f.provider.MustRun(t, "patch", "apiexport", "widgets", "--type=merge", "-p", `{"spec":{"latestResourceSchemas":["v2.widgets.example.com"]}}`)
	require.Eventually(t, func() bool {
		out, _, err := alice.Run("get", "widgets.v2.example.com", "w1", "-o", "jsonpath={.apiVersion} {.spec.size}")
		return err == nil && out == "example.com/v2 3"
	}, 20*time.Second, 200*time.Millisecond)
	assert.Equal(t, "example.com/v1 3", alice.MustRun(t, "get", "widgets.v1.example.com", "w1", "-o", "jsonpath={.apiVersion} {.spec.size}"))
	assert.Contains(t, alice.MustRun(t, "get", "apibinding", "widgets", "-o", "jsonpath={.status.boundResources[0].storageVersions}"), `"v1","v2"`)
}

// testDeleteBinding checks that deleting team-a's binding erases its widgets there only, and binding again starts empty.
func testDeleteBinding(t *testing.T, f *apiBindingFixture) {
	alice := f.alice
	alice.MustRun(t, "delete", "apibinding", "widgets", "--timeout=30s")
	require.Eventually(t, func() bool {
		_, _, err := alice.Run("get", "widgets")
		return err != nil
	}, 20*time.Second, 100*time.Millisecond)
	assert.Equal(t, "7", f.bob.MustRun(t, "get", "widget", "w1", "-o", "jsonpath={.spec.size}"))
	alice.WithStdin(bindingYAML("widgets", f.providerPath)).MustRun(t, "create", "-f", "-")
	alice.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
	require.Eventually(t, func() bool {
		out, _, err := alice.Run("get", "widgets", "-o", "name")
		return err == nil && out == ""
	}, 20*time.Second, 100*time.Millisecond, "binding again starts empty")
}

func TestGantryPlugin(t *testing.T) {
	s, _ := startWithUsers(t)
	providerPath, _ := s.CreateWorkspace(t, "root", "provider")
	orgPath, _ := s.CreateWorkspace(t, "root", "org")
	teamA, _ := s.CreateWorkspace(t, orgPath, "team-a")
	teamC, _ := s.CreateWorkspace(t, orgPath, "team-c")
	provider := s.Kubectl(providerPath)

	schema := s.UserShell(t, providerPath, "").WithStdin(samples.WidgetsCRD).MustRun(t, "gantry", "schema", "from-crd", "-", "--prefix", "v1")
	assert.Contains(t, schema, "kind: APIResourceSchema")
	assert.Contains(t, schema, "name: v1.widgets.example.com")
	provider.WithStdin(schema+"---\n"+samples.WidgetsAPIExport+"---\n"+mayBind("alice")).MustRun(t, "create", "-f", "-")
	s.Kubectl(teamA).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user=alice")

	alice := s.UserShell(t, teamA, aliceToken)
	out := alice.MustRun(t, "gantry", "bind", "apiexport", providerPath+":widgets")
	assert.Contains(t, out, "apibinding.apis.gantry.dev/widgets bound: widgets.example.com")
	alice.WithStdin(widget("w", "{size: 3}")).MustRun(t, "create", "-f", "-")
	assert.Regexp(t, `w\s+3`, alice.MustRun(t, "get", "widgets"), "the CRD's printer columns came along")
	alice.MustRun(t, "scale", "widget", "w", "--replicas=3")
	assert.Equal(t, "3", alice.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.replicas}"), "and the scale subresource")

	_, errOut, err := alice.Run("gantry", "bind", "apiexport", providerPath+":widgets")
	require.Error(t, err)
	assert.Contains(t, errOut, `an APIBinding "widgets" exists already: choose another with --name`)

	c := s.UserShell(t, teamC, "")
	c.WithStdin(samples.WidgetsCRD).MustRun(t, "apply", "-f", "-")
	c.MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	_, errOut, err = c.Run("gantry", "bind", "apiexport", providerPath+":widgets", "--name", "w", "--timeout", "20s")
	require.Error(t, err)
	assert.Contains(t, errOut, `APIBinding "w" cannot be applied: widgets.example.com is already defined by a CustomResourceDefinition in this workspace`)

	_, errOut, err = c.Run("gantry", "bind", "apiexport", "root:Bad Path:widgets")
	require.Error(t, err)
	assert.Contains(t, errOut, "is not <workspace path>:<export>")
	_, errOut, err = c.WithStdin("kind: ConfigMap\n").Run("gantry", "schema", "from-crd", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, "not a CustomResourceDefinition")

	// After a restart, bound resources are served as soon as the server is ready.
	s.Stop(syscall.SIGTERM)
	s.Restart()
	assert.Equal(t, "3", alice.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.replicas}"))
}

func TestWorkspaceTypeBindsAPIs(t *testing.T) {
	s, _ := startWithUsers(t)
	providerPath, _ := s.CreateWorkspace(t, "root", "provider")
	orgPath, _ := s.CreateWorkspace(t, "root", "org")
	s.Kubectl(providerPath).WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport+"---\n"+mayBind("alice")).MustRun(t, "create", "-f", "-")
	s.Kubectl(orgPath).MustRun(t, "create", "clusterrolebinding", "org-admins", "--clusterrole=admin", "--user=alice", "--user=bob")
	teamType := func(name string) string {
		return "apiVersion: tenancy.gantry.dev/v1alpha1\nkind: WorkspaceType\nmetadata: {name: " + name + "}\nspec:\n" +
			"  defaultAPIBindings:\n  - {path: '" + providerPath + "', export: widgets}\n"
	}

	_, errOut, err := s.KubectlAs(t, orgPath, bobToken).WithStdin(teamType("team")).Run("create", "-f", "-")
	require.Error(t, err, "bob may not bind the export, so he may not make a type that binds it")
	assert.Contains(t, errOut, `user "bob" may not bind APIExport "widgets" of root:provider`)

	s.KubectlAs(t, orgPath, aliceToken).WithStdin(teamType("team")).MustRun(t, "create", "-f", "-")
	s.UserShell(t, orgPath, aliceToken).MustRun(t, "create", "workspace", "ml")
	ml := s.KubectlAs(t, orgPath+":ml", aliceToken)
	ml.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
	ml.WithStdin(widget("w", "{size: 1}")).MustRun(t, "create", "-f", "-")
	assert.Equal(t, "widget.example.com/w\n", ml.MustRun(t, "get", "widgets", "-o", "name"))
}
