package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
)

func TestAPIObjectsAreValidated(t *testing.T) {
	s := harness.Start(t)
	provider, _ := s.CreateWorkspace(t, "root", "provider")
	k := s.Kubectl(provider)

	k.WithStdin(samples.WidgetsSchema).MustRun(t, "create", "-f", "-")
	assert.Regexp(t, `v1.widgets.example.com\s+example.com\s+widgets\s+Namespaced`, k.MustRun(t, "get", "apiresourceschemas"))

	t.Run("schemas are checked like CRDs and cannot change", func(t *testing.T) {
		_, errOut, err := k.Run("patch", "apiresourceschema", "v1.widgets.example.com", "--type=merge", "-p", `{"spec":{"scope":"Cluster"}}`)
		require.Error(t, err)
		assert.Contains(t, errOut, "an APIResourceSchema is immutable")

		broken := strings.NewReplacer("v1.widgets", "v2.widgets", "storage: true", "storage: false", "type: object\n        properties:\n          spec", "type: objekt\n        properties:\n          spec").Replace(samples.WidgetsSchema)
		_, errOut, err = k.WithStdin(broken).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, "spec.versions: Invalid value")
		assert.Contains(t, errOut, "must have exactly one version marked as storage version")
		assert.Contains(t, errOut, `spec.versions[0].schema.openAPIV3Schema.type: Unsupported value: "objekt"`)

		misnamed := strings.Replace(samples.WidgetsSchema, "name: v1.widgets.example.com", "name: widgets.example.com", 1)
		_, errOut, err = k.WithStdin(misnamed).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, "metadata.name: Invalid value: \"widgets.example.com\": must be <prefix>.widgets.example.com")
	})

	t.Run("exports and bindings", func(t *testing.T) {
		k.WithStdin(samples.WidgetsAPIExport).MustRun(t, "create", "-f", "-")
		assert.Regexp(t, `widgets\s+v1.widgets.example.com`, k.MustRun(t, "get", "apiexports"))
		_, errOut, err := k.WithStdin("apiVersion: apis.gantry.dev/v1alpha1\nkind: APIBinding\nmetadata: {name: w}\nspec:\n  reference:\n    export: {path: 'root:Bad Path', name: ''}\n").Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, "spec.reference.export.name: Required value")
		assert.Contains(t, errOut, "spec.reference.export.path: Invalid value")
		k.WithStdin("apiVersion: apis.gantry.dev/v1alpha1\nkind: APIBinding\nmetadata: {name: w}\nspec:\n  reference:\n    export: {path: 'root:provider', name: widgets}\n").MustRun(t, "create", "-f", "-")
		_, errOut, err = k.Run("patch", "apibinding", "w", "--type=merge", "-p", `{"spec":{"reference":{"export":{"name":"other"}}}}`)
		require.Error(t, err)
		assert.Contains(t, errOut, "spec.reference: Invalid value")
		assert.Contains(t, errOut, "field is immutable")
	})
}
