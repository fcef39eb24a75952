package apischema

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func crd() *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "example.com",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Singular: "widget", Kind: "Widget", ListKind: "WidgetList"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema:       &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{Type: "object"}},
				Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
			}},
		},
	}
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
