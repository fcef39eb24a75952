package e2e

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/test/harness"
)

func crdManifest(sizeType string) string {
	return fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: %s}}}
`, sizeType)
}

// TestCRDObjectsArePerWorkspace covers the CustomResourceDefinition objects themselves; serving their custom
// resources is a later slice.
func TestCRDObjectsArePerWorkspace(t *testing.T) {
	s := harness.Start(t)
	pathA, _ := s.CreateWorkspace(t, "root", "crd-a")
	pathB, _ := s.CreateWorkspace(t, "root", "crd-b")
	pathC, _ := s.CreateWorkspace(t, "root", "crd-c")
	a, b, c := s.Kubectl(pathA), s.Kubectl(pathB), s.Kubectl(pathC)

	a.WithStdin(crdManifest("integer")).MustRun(t, "apply", "-f", "-")
	b.WithStdin(crdManifest("string")).MustRun(t, "apply", "--server-side", "-f", "-")
	jsonpath := "jsonpath={.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.size.type}"
	assert.Equal(t, "integer", a.MustRun(t, "get", "crd", "widgets.example.com", "-o", jsonpath))
	assert.Equal(t, "string", b.MustRun(t, "get", "crd", "widgets.example.com", "-o", jsonpath))
	assert.Empty(t, c.MustRun(t, "get", "crds", "-o", "name"), "a third workspace sees no CRD")

	_, errOut, err := c.WithStdin(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {properties: {size: {type: integer}}}
`).Run("apply", "-f", "-")
	require.Error(t, err, "a non-structural schema must be refused")
	assert.Contains(t, errOut, "is invalid")
	assert.Contains(t, errOut, "must not be empty for specified object fields")
	assert.Empty(t, c.MustRun(t, "get", "crds", "-o", "name"))

	a.MustRun(t, "delete", "crd", "widgets.example.com")
	assert.Equal(t, "string", b.MustRun(t, "get", "crd", "widgets.example.com", "-o", jsonpath))
	assert.Contains(t, a.MustRun(t, "api-resources"), "customresourcedefinitions")
}
