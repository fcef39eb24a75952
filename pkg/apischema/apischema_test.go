package apischema

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/gantry-dev/gantry/config/samples"
)

// crd is the widgets CRD of config/samples.
func crd() *apiextensionsv1.CustomResourceDefinition {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict([]byte(samples.WidgetsCRD), &crd); err != nil {
		panic(err)
	}
	return &crd
}

func TestRoundTrip(t *testing.T) {
	s := FromCRD(crd(), "v1")
	assert.Equal(t, "v1.widgets.example.com", s.Name)
	assert.Empty(t, Validate(context.Background(), s))

	back := ToCRD(s, "uid-1")
	assert.Equal(t, "widgets.example.com", back.Name)
	assert.Equal(t, "uid-1", string(back.UID))
	require.Len(t, back.Spec.Versions, 1)
	assert.Equal(t, crd().Spec.Versions[0].Schema, back.Spec.Versions[0].Schema)
	assert.NotNil(t, back.Spec.Versions[0].Subresources.Status)
}

func TestValidatePointsAtVersions(t *testing.T) {
	s := FromCRD(crd(), "v1")
	s.Spec.Versions[0].Schema.OpenAPIV3Schema.Type = "string"
	errs := Validate(context.Background(), s)
	require.NotEmpty(t, errs)
	assert.Equal(t, "spec.versions[0].schema.openAPIV3Schema.type", errs[0].Field)
}
