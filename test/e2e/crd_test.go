package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/test/harness"
)

// crdManifest returns a CRD of kind in example.com whose spec schema is specSchema (YAML flow style).
func crdManifest(kind, specSchema string) string {
	plural := strings.ToLower(kind) + "s"
	return fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: %[1]s.example.com}
spec:
  group: example.com
  names: {kind: %[2]s, plural: %[1]s}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: %[3]s
`, plural, kind, specSchema)
}

// widgetCRD is the widgets CRD with spec.size of the given type.
func widgetCRD(sizeType string) string {
	return crdManifest("Widget", "{type: object, properties: {size: {type: "+sizeType+"}}}")
}

// TestCRDObjectsArePerWorkspace covers the CustomResourceDefinition objects themselves; serving their custom
// resources is a later slice.
func TestCRDObjectsArePerWorkspace(t *testing.T) {
	s := harness.Start(t)
	pathA, _ := s.CreateWorkspace(t, "root", "crd-a")
	pathB, _ := s.CreateWorkspace(t, "root", "crd-b")
	pathC, _ := s.CreateWorkspace(t, "root", "crd-c")
	a, b, c := s.Kubectl(pathA), s.Kubectl(pathB), s.Kubectl(pathC)

	a.WithStdin(widgetCRD("integer")).MustRun(t, "apply", "-f", "-")
	b.WithStdin(widgetCRD("string")).MustRun(t, "apply", "--server-side", "-f", "-")
	jsonpath := "jsonpath={.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.type}"
	assert.Equal(t, "integer", a.MustRun(t, "get", "crd", "widgets.example.com", "-o", jsonpath))
	assert.Equal(t, "string", b.MustRun(t, "get", "crd", "widgets.example.com", "-o", jsonpath))
	assert.Empty(t, c.MustRun(t, "get", "crds", "-o", "name"), "a third workspace sees no CRD")

	// A non-structural schema: an object property without a type.
	_, errOut, err := c.WithStdin(crdManifest("Gadget", "{properties: {size: {type: integer}}}")).Run("apply", "-f", "-")
	require.Error(t, err, "a non-structural schema must be refused")
	assert.Contains(t, errOut, "is invalid")
	assert.Contains(t, errOut, "must not be empty for specified object fields")
	assert.Empty(t, c.MustRun(t, "get", "crds", "-o", "name"))

	a.MustRun(t, "delete", "crd", "widgets.example.com")
	assert.Equal(t, "string", b.MustRun(t, "get", "crd", "widgets.example.com", "-o", jsonpath))
	assert.Contains(t, a.MustRun(t, "api-resources"), "customresourcedefinitions")
}
