package e2e

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/discovery"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
)

func widget(name, spec string) string {
	return fmt.Sprintf("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: %s, namespace: default}\nspec: %s\n", name, spec)
}

// crFixture holds the server, workspaces and kubectls that the subtests of TestCustomResourcesPerWorkspace share.
type crFixture struct {
	s                   *harness.Server
	pathA, pathB, pathC string
	clusterB            string
	a, b, c             *harness.Kubectl
	before              string // workspace B's widgets after setup
}

// bWidgets lists workspace B's widgets with their sizes and resource versions.
func (f *crFixture) bWidgets(t *testing.T) string {
	return f.b.MustRun(t, "get", "widgets", "-o", "jsonpath={range .items[*]}{.metadata.name}={.spec.size}@{.metadata.resourceVersion} {end}")
}

// bUnchanged checks that workspace B's widgets are as they were after setup.
func (f *crFixture) bUnchanged(t *testing.T, step string) {
	t.Helper()
	assert.Equal(t, f.before, f.bWidgets(t), "workspace B's widgets changed during %q in A", step)
}

// setupCustomResources creates three workspaces, a widgets CRD of different schemas in A and B, and a widget w in each.
func setupCustomResources(t *testing.T) *crFixture {
	s := harness.Start(t)
	f := &crFixture{s: s}
	f.pathA, _ = s.CreateWorkspace(t, "root", "cr-a")
	f.pathB, f.clusterB = s.CreateWorkspace(t, "root", "cr-b")
	f.pathC, _ = s.CreateWorkspace(t, "root", "cr-c")
	f.a, f.b, f.c = s.Kubectl(f.pathA), s.Kubectl(f.pathB), s.Kubectl(f.pathC)

	f.a.WithStdin(samples.WidgetsCRD).MustRun(t, "apply", "-f", "-")
	f.b.WithStdin(widgetCRD("string")).MustRun(t, "apply", "-f", "-")
	for _, k := range []*harness.Kubectl{f.a, f.b} {
		k.MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	}
	f.a.WithStdin(widget("w", "{size: 3}")).MustRun(t, "apply", "-f", "-")
	f.b.WithStdin(widget("w", "{size: large}")).MustRun(t, "apply", "-f", "-")
	f.before = f.bWidgets(t)
	return f
}

func TestCustomResourcesPerWorkspace(t *testing.T) {
	f := setupCustomResources(t)
	t.Run("same name, different schemas", func(t *testing.T) { testCRSameNameDifferentSchemas(t, f) })
	t.Run("discovery and OpenAPI v2 and v3 are per workspace", func(t *testing.T) { testCRDiscoveryAndOpenAPI(t, f) })
	t.Run("printer columns, selectors, paging", func(t *testing.T) { testCRPrinterColumnsSelectorsPaging(t, f) })
	t.Run("defaulting, validation, pruning", func(t *testing.T) { testCRDefaultingValidationPruning(t, f) })
	t.Run("apply, server-side apply, patch, edit", func(t *testing.T) { testCRApplyPatchEdit(t, f) })
	t.Run("status and scale subresources", func(t *testing.T) { testCRSubresources(t, f) })
	t.Run("watch sees only its workspace", func(t *testing.T) { testCRWatchOwnWorkspace(t, f) })
	t.Run("name conflicts and reserved groups are reported", func(t *testing.T) { testCRNameConflicts(t, f) })
	t.Run("custom resources survive a restart", func(t *testing.T) { testCRSurviveRestart(t, f) })
	t.Run("deleting a CRD deletes its objects, in its workspace only", func(t *testing.T) { testCRDeleteCRD(t, f) })
}

// testCRSameNameDifferentSchemas checks that A and B serve widgets of their own schemas and C serves none.
func testCRSameNameDifferentSchemas(t *testing.T, f *crFixture) {
	a, b, c := f.a, f.b, f.c
	assert.Equal(t, "3", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
	assert.Equal(t, "large", b.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
	assert.Contains(t, a.MustRun(t, "explain", "widget.spec.size"), "<integer>")
	assert.Contains(t, b.MustRun(t, "explain", "widget.spec.size"), "<string>")
	assert.Regexp(t, `(?m)^widgets\s+wd\s+example.com/v1\s+true\s+Widget`, a.MustRun(t, "api-resources", "--api-group=example.com"))
	_, errOut, err := c.Run("get", "widgets")
	require.Error(t, err, "a workspace without the CRD does not serve widgets")
	assert.Contains(t, errOut, "doesn't have a resource type")
}

// openAPIV2WidgetSizeType fetches a workspace's OpenAPI v2 document (protobuf, as client-go asks for it) and
// returns the type of com.example.v1.Widget's spec.size, or "" when it has no such field.
func openAPIV2WidgetSizeType(t *testing.T, dc *discovery.DiscoveryClient) string {
	v2, err := dc.OpenAPISchema()
	require.NoError(t, err)
	var v2Size string
	for _, def := range v2.GetDefinitions().GetAdditionalProperties() {
		if def.GetName() != "com.example.v1.Widget" {
			continue
		}
		for _, p := range def.GetValue().GetProperties().GetAdditionalProperties() {
			if p.GetName() == "spec" {
				for _, sp := range p.GetValue().GetProperties().GetAdditionalProperties() {
					if sp.GetName() == "size" {
						v2Size = strings.Join(sp.GetValue().GetType().GetValue(), ",")
					}
				}
			}
		}
	}
	return v2Size
}

// testCRDiscoveryAndOpenAPI checks that aggregated discovery and OpenAPI v2 and v3 show each workspace's own widgets.
func testCRDiscoveryAndOpenAPI(t *testing.T, f *crFixture) {
	for _, tc := range []struct {
		path     string
		sizeType string // "" when the workspace serves no widgets
	}{{f.pathA, "integer"}, {f.pathB, "string"}, {f.pathC, ""}} {
		cfg, err := f.s.RESTConfig(tc.path)
		require.NoError(t, err)
		dc := discovery.NewDiscoveryClientForConfigOrDie(cfg)
		_, resources, err := dc.ServerGroupsAndResources()
		require.NoError(t, err)
		served := false
		for _, list := range resources {
			for _, r := range list.APIResources {
				served = served || (list.GroupVersion == "example.com/v1" && r.Name == "widgets")
			}
		}
		assert.Equal(t, tc.sizeType != "", served, "aggregated discovery of %s", tc.path)

		assert.Equal(t, tc.sizeType, openAPIV2WidgetSizeType(t, dc), "OpenAPI v2 of %s", tc.path)

		paths, err := dc.OpenAPIV3().Paths()
		require.NoError(t, err)
		_, hasV3 := paths["apis/example.com/v1"]
		assert.Equal(t, tc.sizeType != "", hasV3, "OpenAPI v3 index of %s", tc.path)
	}
}

// testCRPrinterColumnsSelectorsPaging checks printer columns, label and field selectors and chunked lists in A.
func testCRPrinterColumnsSelectorsPaging(t *testing.T, f *crFixture) {
	a := f.a
	assert.Regexp(t, `(?m)^NAME\s+SIZE\s+AGE\nw\s+3\s+`, a.MustRun(t, "get", "widgets"))
	for i := 0; i < 4; i++ {
		a.WithStdin(widget(fmt.Sprintf("page-%d", i), "{size: 2}")).MustRun(t, "apply", "-f", "-")
	}
	a.MustRun(t, "label", "widget", "page-1", "tier=gold")
	assert.Equal(t, "widget.example.com/page-1\n", a.MustRun(t, "get", "widgets", "-l", "tier=gold", "-o", "name"))
	assert.Equal(t, "widget.example.com/w\n", a.MustRun(t, "get", "widgets", "--field-selector", "metadata.name=w", "-o", "name"))
	assert.Len(t, strings.Fields(a.MustRun(t, "get", "widgets", "--chunk-size=2", "-o", "name")), 5)
	f.bUnchanged(t, "selectors")
}

// testCRDefaultingValidationPruning checks schema defaults, validation, CEL rules and pruning, and that refused
// writes (another workspace's annotation, a missing namespace) write nothing.
func testCRDefaultingValidationPruning(t *testing.T, f *crFixture) {
	a, b := f.a, f.b
	a.WithStdin(widget("defaulted", "{replicas: 1}")).MustRun(t, "apply", "-f", "-")
	assert.Equal(t, "1", a.MustRun(t, "get", "widget", "defaulted", "-o", "jsonpath={.spec.size}"), "schema default applied")
	_, errOut, err := a.WithStdin(widget("too-big", "{size: 500}")).Run("apply", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, "size must be at most 100", "CEL rule")
	_, errOut, err = a.WithStdin(widget("wrong-type", "{size: big}")).Run("apply", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, "must be of type integer")
	_, errOut, err = a.WithStdin(widget("unknown", "{size: 2, bogus: 1}")).Run("apply", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, `unknown field "spec.bogus"`)
	_, errOut, err = a.WithStdin(strings.Replace(widget("claims-b", "{size: 1}"), "namespace: default}",
		"namespace: default, annotations: {gantry.dev/cluster: "+f.clusterB+"}}", 1)).Run("apply", "-f", "-")
	require.Error(t, err, "a custom resource claiming another workspace is refused")
	assert.Contains(t, errOut, "the annotation is set by the server")
	_, _, err = b.Run("get", "widget", "claims-b")
	require.Error(t, err, "nothing was written to B")
	_, errOut, err = a.WithStdin(strings.Replace(widget("lost", "{size: 1}"), "namespace: default", "namespace: nope", 1)).Run("apply", "-f", "-")
	require.Error(t, err, "no custom resource in a namespace that does not exist")
	assert.Contains(t, errOut, `namespaces "nope" not found`)
	a.WithStdin(widget("pruned", "{size: 2, bogus: 1}")).MustRun(t, "apply", "--validate=false", "-f", "-")
	assert.Equal(t, `{"size":2}`, a.MustRun(t, "get", "widget", "pruned", "-o", "jsonpath={.spec}"), "unknown fields are pruned")
	f.bUnchanged(t, "validation")
}

// testCRApplyPatchEdit checks client- and server-side apply with field managers, merge and JSON patches, edit and dry-run.
func testCRApplyPatchEdit(t *testing.T, f *crFixture) {
	a := f.a
	a.WithStdin(widget("w", "{size: 4}")).MustRun(t, "apply", "-f", "-")
	assert.Equal(t, "4", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
	a.WithStdin(widget("w", "{size: 5}")).MustRun(t, "apply", "--server-side", "--field-manager=first", "--force-conflicts", "-f", "-")
	_, errOut, err := a.WithStdin(widget("w", "{size: 6}")).Run("apply", "--server-side", "--field-manager=second", "-f", "-")
	require.Error(t, err, "field manager first owns .spec.size")
	assert.Contains(t, strings.ToLower(errOut), "conflict")
	assert.Equal(t, "5", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
	a.WithStdin(widget("w", "{size: 5}")).MustRun(t, "apply", "--server-side", "--field-manager=second", "--force-conflicts", "-f", "-")
	assert.Contains(t, a.MustRun(t, "get", "widget", "w", "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}"), "second")
	a.MustRun(t, "patch", "widget", "w", "--type=merge", "-p", `{"spec":{"size":6}}`)
	a.MustRun(t, "patch", "widget", "w", "--type=json", "-p", `[{"op":"replace","path":"/spec/size","value":7}]`)
	_, errOut, err = a.Run("patch", "widget", "w", "-p", `{"spec":{"size":8}}`)
	require.Error(t, err, "custom resources do not take strategic merge patches, as in Kubernetes")
	assert.Contains(t, errOut, "application/strategic-merge-patch+json is not supported")
	a.WithEnv("KUBE_EDITOR=sed -i s/size:.7/size:\\ 9/").MustRun(t, "edit", "widget", "w")
	assert.Equal(t, "9", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
	a.MustRun(t, "annotate", "widget", "w", "owner=ml")
	a.WithStdin(widget("dry", "{size: 1}")).MustRun(t, "create", "--dry-run=server", "-f", "-")
	_, _, err = a.Run("get", "widget", "dry")
	require.Error(t, err, "dry-run writes nothing")
	f.bUnchanged(t, "patch")
}

// testCRSubresources checks the status and scale subresources in A, and that B's CRD has no scale subresource.
func testCRSubresources(t *testing.T, f *crFixture) {
	a := f.a
	a.MustRun(t, "patch", "widget", "w", "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Ready","replicas":2}}`)
	assert.Equal(t, "Ready", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.status.phase}"))
	a.MustRun(t, "patch", "widget", "w", "--type=merge", "-p", `{"status":{"phase":"Ignored"}}`)
	assert.Equal(t, "Ready", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.status.phase}"), "the main resource ignores status")
	a.MustRun(t, "scale", "widget", "w", "--replicas=3")
	assert.Equal(t, "3", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.replicas}"))
	_, errOut, err := f.b.Run("scale", "widget", "w", "--replicas=3")
	require.Error(t, err, "B's CRD has no scale subresource")
	assert.NotEmpty(t, errOut)
	f.bUnchanged(t, "subresources")
}

// testCRWatchOwnWorkspace checks that a watch of widgets in A sees A's new widget and not B's.
func testCRWatchOwnWorkspace(t *testing.T, f *crFixture) {
	a, b := f.a, f.b
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan string, 1)
	go func() {
		out, _, _ := a.RunContext(ctx, "get", "widgets", "-w", "--watch-only", "-o", "name")
		done <- out
	}()
	time.Sleep(1500 * time.Millisecond)
	b.WithStdin(widget("watched-b", "{size: x}")).MustRun(t, "apply", "-f", "-")
	a.WithStdin(widget("watched-a", "{size: 1}")).MustRun(t, "apply", "-f", "-")
	time.Sleep(1500 * time.Millisecond)
	cancel()
	out := <-done
	assert.Contains(t, out, "widget.example.com/watched-a")
	assert.NotContains(t, out, "watched-b")
	b.MustRun(t, "delete", "widget", "watched-b")
}

// testCRNameConflicts checks the KindConflict and ReservedGroup conditions, and that a deleted CRD releases its kind.
func testCRNameConflicts(t *testing.T, f *crFixture) {
	a, c := f.a, f.c
	a.WithStdin(strings.NewReplacer("widgets.example.com", "gizmos.example.com", "plural: widgets", "plural: gizmos",
		"singular: widget", "singular: gizmo", "shortNames: [wd]", "shortNames: [gz]").Replace(samples.WidgetsCRD)).MustRun(t, "apply", "-f", "-")
	require.Eventually(t, func() bool {
		out, _, _ := a.Run("get", "crd", "gizmos.example.com", "-o", `jsonpath={.status.conditions[?(@.type=="NamesAccepted")].reason}`)
		return out == "KindConflict"
	}, 30*time.Second, 200*time.Millisecond)
	c.WithStdin(crdManifest("Thing", "{type: object}")).MustRun(t, "apply", "-f", "-")
	c.WithStdin(strings.ReplaceAll(crdManifest("Thing", "{type: object}"), "example.com", "tenancy.gantry.dev")).MustRun(t, "apply", "-f", "-")
	require.Eventually(t, func() bool {
		out, _, _ := c.Run("get", "crd", "things.tenancy.gantry.dev", "-o", `jsonpath={.status.conditions[?(@.type=="NamesAccepted")].reason}`)
		return out == "ReservedGroup"
	}, 30*time.Second, 200*time.Millisecond)
	c.MustRun(t, "wait", "--for=condition=Established", "crd/things.example.com", "--timeout=30s")
	// Release the kind again: a deleted CRD's names go to a waiting CRD, as in Kubernetes.
	a.MustRun(t, "delete", "crd", "gizmos.example.com")
	assert.Contains(t, c.MustRun(t, "api-resources", "--api-group=tenancy.gantry.dev"), "workspaces")
	assert.NotContains(t, c.MustRun(t, "api-resources", "--api-group=tenancy.gantry.dev"), "things")
}

// testCRSurviveRestart checks that both workspaces' widgets are still there after the server restarts.
func testCRSurviveRestart(t *testing.T, f *crFixture) {
	f.s.Stop(syscall.SIGTERM)
	f.s.Restart()
	assert.Equal(t, "9", f.a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
	assert.Equal(t, "large", f.b.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
}

// testCRDeleteCRD checks that deleting A's CRD deletes A's widgets, a new CRD starts empty, and B keeps its widget.
func testCRDeleteCRD(t *testing.T, f *crFixture) {
	a := f.a
	a.MustRun(t, "delete", "crd", "widgets.example.com")
	require.Eventually(t, func() bool {
		_, _, err := a.Run("get", "widgets")
		return err != nil
	}, 30*time.Second, 200*time.Millisecond)
	a.WithStdin(samples.WidgetsCRD).MustRun(t, "apply", "-f", "-")
	a.MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	require.Eventually(t, func() bool {
		out, _, err := a.Run("get", "widgets", "-o", "name")
		return err == nil && out == ""
	}, 30*time.Second, 200*time.Millisecond, "a new CRD of the same name starts empty")
	assert.Equal(t, "large", f.b.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
}
