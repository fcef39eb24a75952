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

func TestCustomResourcesPerWorkspace(t *testing.T) {
	s := harness.Start(t)
	pathA, _ := s.CreateWorkspace(t, "root", "cr-a")
	pathB, clusterB := s.CreateWorkspace(t, "root", "cr-b")
	pathC, _ := s.CreateWorkspace(t, "root", "cr-c")
	a, b, c := s.Kubectl(pathA), s.Kubectl(pathB), s.Kubectl(pathC)

	a.WithStdin(samples.WidgetsCRD).MustRun(t, "apply", "-f", "-")
	b.WithStdin(widgetCRD("string")).MustRun(t, "apply", "-f", "-")
	for _, k := range []*harness.Kubectl{a, b} {
		k.MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	}
	a.WithStdin(widget("w", "{size: 3}")).MustRun(t, "apply", "-f", "-")
	b.WithStdin(widget("w", "{size: large}")).MustRun(t, "apply", "-f", "-")
	bWidgets := func() string {
		return b.MustRun(t, "get", "widgets", "-o", "jsonpath={range .items[*]}{.metadata.name}={.spec.size}@{.metadata.resourceVersion} {end}")
	}
	before := bWidgets()
	bUnchanged := func(step string) {
		t.Helper()
		assert.Equal(t, before, bWidgets(), "workspace B's widgets changed during %q in A", step)
	}

	t.Run("same name, different schemas", func(t *testing.T) {
		assert.Equal(t, "3", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
		assert.Equal(t, "large", b.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
		assert.Contains(t, a.MustRun(t, "explain", "widget.spec.size"), "<integer>")
		assert.Contains(t, b.MustRun(t, "explain", "widget.spec.size"), "<string>")
		assert.Regexp(t, `(?m)^widgets\s+wd\s+example.com/v1\s+true\s+Widget`, a.MustRun(t, "api-resources", "--api-group=example.com"))
		_, errOut, err := c.Run("get", "widgets")
		require.Error(t, err, "a workspace without the CRD does not serve widgets")
		assert.Contains(t, errOut, "doesn't have a resource type")
	})

	t.Run("discovery and OpenAPI v2 and v3 are per workspace", func(t *testing.T) {
		for _, tc := range []struct {
			path     string
			sizeType string // "" when the workspace serves no widgets
		}{{pathA, "integer"}, {pathB, "string"}, {pathC, ""}} {
			cfg, err := s.RESTConfig(tc.path)
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

			v2, err := dc.OpenAPISchema() // protobuf, as client-go asks for it
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
			assert.Equal(t, tc.sizeType, v2Size, "OpenAPI v2 of %s", tc.path)

			paths, err := dc.OpenAPIV3().Paths()
			require.NoError(t, err)
			_, hasV3 := paths["apis/example.com/v1"]
			assert.Equal(t, tc.sizeType != "", hasV3, "OpenAPI v3 index of %s", tc.path)
		}
	})

	t.Run("printer columns, selectors, paging", func(t *testing.T) {
		assert.Regexp(t, `(?m)^NAME\s+SIZE\s+AGE\nw\s+3\s+`, a.MustRun(t, "get", "widgets"))
		for i := 0; i < 4; i++ {
			a.WithStdin(widget(fmt.Sprintf("page-%d", i), "{size: 2}")).MustRun(t, "apply", "-f", "-")
		}
		a.MustRun(t, "label", "widget", "page-1", "tier=gold")
		assert.Equal(t, "widget.example.com/page-1\n", a.MustRun(t, "get", "widgets", "-l", "tier=gold", "-o", "name"))
		assert.Equal(t, "widget.example.com/w\n", a.MustRun(t, "get", "widgets", "--field-selector", "metadata.name=w", "-o", "name"))
		assert.Len(t, strings.Fields(a.MustRun(t, "get", "widgets", "--chunk-size=2", "-o", "name")), 5)
		bUnchanged("selectors")
	})

	t.Run("defaulting, validation, pruning", func(t *testing.T) {
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
			"namespace: default, annotations: {gantry.dev/cluster: "+clusterB+"}}", 1)).Run("apply", "-f", "-")
		require.Error(t, err, "a custom resource claiming another workspace is refused")
		assert.Contains(t, errOut, "the annotation is set by the server")
		_, _, err = b.Run("get", "widget", "claims-b")
		require.Error(t, err, "nothing was written to B")
		_, errOut, err = a.WithStdin(strings.Replace(widget("lost", "{size: 1}"), "namespace: default", "namespace: nope", 1)).Run("apply", "-f", "-")
		require.Error(t, err, "no custom resource in a namespace that does not exist")
		assert.Contains(t, errOut, `namespaces "nope" not found`)
		a.WithStdin(widget("pruned", "{size: 2, bogus: 1}")).MustRun(t, "apply", "--validate=false", "-f", "-")
		assert.Equal(t, `{"size":2}`, a.MustRun(t, "get", "widget", "pruned", "-o", "jsonpath={.spec}"), "unknown fields are pruned")
		bUnchanged("validation")
	})

	t.Run("apply, server-side apply, patch, edit", func(t *testing.T) {
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
		bUnchanged("patch")
	})

	t.Run("status and scale subresources", func(t *testing.T) {
		a.MustRun(t, "patch", "widget", "w", "--subresource=status", "--type=merge", "-p", `{"status":{"phase":"Ready","replicas":2}}`)
		assert.Equal(t, "Ready", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.status.phase}"))
		a.MustRun(t, "patch", "widget", "w", "--type=merge", "-p", `{"status":{"phase":"Ignored"}}`)
		assert.Equal(t, "Ready", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.status.phase}"), "the main resource ignores status")
		a.MustRun(t, "scale", "widget", "w", "--replicas=3")
		assert.Equal(t, "3", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.replicas}"))
		_, errOut, err := b.Run("scale", "widget", "w", "--replicas=3")
		require.Error(t, err, "B's CRD has no scale subresource")
		assert.NotEmpty(t, errOut)
		bUnchanged("subresources")
	})

	t.Run("watch sees only its workspace", func(t *testing.T) {
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
	})

	t.Run("name conflicts and reserved groups are reported", func(t *testing.T) {
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
	})

	t.Run("custom resources survive a restart", func(t *testing.T) {
		s.Stop(syscall.SIGTERM)
		s.Restart()
		assert.Equal(t, "9", a.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
		assert.Equal(t, "large", b.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
	})

	t.Run("deleting a CRD deletes its objects, in its workspace only", func(t *testing.T) {
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
		assert.Equal(t, "large", b.MustRun(t, "get", "widget", "w", "-o", "jsonpath={.spec.size}"))
	})
}
