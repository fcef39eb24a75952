package servingprovider

import (
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	servingconfig "github.com/gantry-dev/gantry/config/serving"
	"github.com/gantry-dev/gantry/pkg/apischema"
)

// TestSchemasAreNamedByContent checks that the published schemas are valid, named "<content>.<plural>.<group>",
// and that the same content always gives the same name.
func TestSchemasAreNamedByContent(t *testing.T) {
	schemas, err := Schemas()
	require.NoError(t, err)
	require.Len(t, schemas, 4)
	again, err := Schemas()
	require.NoError(t, err)
	for i, s := range schemas {
		assert.Regexp(t, regexp.MustCompile(`^h[0-9a-f]{12}\.[a-z]+\.serving\.gantry\.dev$`), s.Name)
		assert.Empty(t, apischema.Validate(context.Background(), s), s.Name)
		assert.Equal(t, s.Name, again[i].Name, "the same binary publishes the same names")
	}
}

// TestChangedSchemaGetsANewName simulates a binary whose serving types changed: any change of a CRD's spec, even a
// new optional field or a new printer column, names a new schema, so that the export can point at it.
func TestChangedSchemaGetsANewName(t *testing.T) {
	crds, err := servingconfig.CRDs()
	require.NoError(t, err)
	crd := crds[0]
	before, err := ContentPrefix(crd)
	require.NoError(t, err)

	withField := crd.DeepCopy()
	spec := withField.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	spec.Properties["newField"] = apiextensionsv1.JSONSchemaProps{Type: "string"}
	withField.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"] = spec
	afterField, err := ContentPrefix(withField)
	require.NoError(t, err)
	assert.NotEqual(t, before, afterField, "a new field")

	withColumn := crd.DeepCopy()
	withColumn.Spec.Versions[0].AdditionalPrinterColumns = append(withColumn.Spec.Versions[0].AdditionalPrinterColumns,
		apiextensionsv1.CustomResourceColumnDefinition{Name: "New", Type: "string", JSONPath: ".spec.newField"})
	afterColumn, err := ContentPrefix(withColumn)
	require.NoError(t, err)
	assert.NotEqual(t, before, afterColumn, "a new printer column")
	assert.NotEqual(t, afterField, afterColumn)

	relabeled := crd.DeepCopy()
	relabeled.Labels = map[string]string{"unrelated": "metadata"}
	same, err := ContentPrefix(relabeled)
	require.NoError(t, err)
	assert.Equal(t, before, same, "only the spec names the schema")
}
