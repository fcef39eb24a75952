package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/test/harness"
)

// widgetSchema is an APIResourceSchema of example.com widgets, version v1.
const widgetSchema = `apiVersion: apis.gantry.dev/v1alpha1
kind: APIResourceSchema
metadata: {name: v1.widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - {rule: "self.size <= 100", message: "size must be at most 100"}
            properties:
              size: {type: integer, default: 1}
          status:
            type: object
            properties:
              phase: {type: string}
`

func TestAPIObjectsAreValidated(t *testing.T) {
	s := harness.Start(t)
	provider, _ := s.CreateWorkspace(t, "root", "provider")
	k := s.Kubectl(provider)

	k.WithStdin(widgetSchema).MustRun(t, "create", "-f", "-")
	assert.Regexp(t, `v1.widgets.example.com\s+example.com\s+widgets\s+Namespaced`, k.MustRun(t, "get", "apiresourceschemas"))

	t.Run("schemas are checked like CRDs and cannot change", func(t *testing.T) {
		_, errOut, err := k.Run("patch", "apiresourceschema", "v1.widgets.example.com", "--type=merge", "-p", `{"spec":{"scope":"Cluster"}}`)
		require.Error(t, err)
		assert.Contains(t, errOut, "an APIResourceSchema is immutable")

		broken := strings.NewReplacer("v1.widgets", "v2.widgets", "storage: true", "storage: false", "type: object\n        properties:\n          spec", "type: objekt\n        properties:\n          spec").Replace(widgetSchema)
		_, errOut, err = k.WithStdin(broken).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, "spec.versions: Invalid value")
		assert.Contains(t, errOut, "must have exactly one version marked as storage version")
		assert.Contains(t, errOut, `spec.versions[0].schema.openAPIV3Schema.type: Unsupported value: "objekt"`)

		misnamed := strings.Replace(widgetSchema, "name: v1.widgets.example.com", "name: widgets.example.com", 1)
		_, errOut, err = k.WithStdin(misnamed).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, "metadata.name: Invalid value: \"widgets.example.com\": must be <prefix>.widgets.example.com")
	})

	t.Run("exports and bindings", func(t *testing.T) {
		k.WithStdin("apiVersion: apis.gantry.dev/v1alpha1\nkind: APIExport\nmetadata: {name: widgets}\nspec:\n  latestResourceSchemas: [v1.widgets.example.com]\n").MustRun(t, "create", "-f", "-")
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
