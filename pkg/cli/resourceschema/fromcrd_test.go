package resourceschema

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const widgetsCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
`

func TestSchemaFromCRD(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, SchemaFromCRD(strings.NewReader(widgetsCRD), "v1", &out))
	assert.Contains(t, out.String(), "kind: APIResourceSchema")
	assert.Contains(t, out.String(), "name: v1.widgets.example.com")

	err := SchemaFromCRD(strings.NewReader("kind: ConfigMap\n"), "v1", &out)
	assert.ErrorContains(t, err, "not a CustomResourceDefinition")
}
