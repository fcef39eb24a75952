package apischema

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
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

// coreSchema is a schema of the core group, as import-apis makes one of a cluster's services.
func coreSchema(kind, plural string) *apisv1alpha1.APIResourceSchema {
	c := crd()
	c.Spec.Group = ""
	c.Spec.Names = apiextensionsv1.CustomResourceDefinitionNames{Kind: kind, ListKind: kind + "List", Plural: plural, Singular: strings.ToLower(kind)}
	c.Spec.Versions[0].Name = "v1"
	c.Spec.Versions[0].Subresources.Scale = nil
	return FromCRD(c, "k1")
}

func TestCoreGroup(t *testing.T) {
	s := coreSchema("Service", "services")
	assert.Equal(t, "k1.services.core", s.Name, "the core group is named core in names")
	assert.Empty(t, Validate(context.Background(), s))
	assert.Equal(t, "services.core", ToCRD(s, "").Name)
	assert.Equal(t, "", ToCRD(s, "").Spec.Group)

	errs := Validate(context.Background(), coreSchema("Widget", "widgets"))
	require.NotEmpty(t, errs)
	assert.Equal(t, "spec.names.kind", errs[0].Field, "the core group holds Kubernetes' own kinds alone")
	s = coreSchema("Service", "services")
	s.Name = "k1.services."
	assert.Equal(t, "metadata.name", Validate(context.Background(), s)[0].Field)
}
