package apidiscovery

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/controller/openapi/builder"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// deploymentCRD is a bound apps/v1 Deployment with the containers of its pod template alone in its schema.
func deploymentCRD(group, kind string) *apiextensionsv1.CustomResourceDefinition {
	obj := func(props map[string]apiextensionsv1.JSONSchemaProps) apiextensionsv1.JSONSchemaProps {
		return apiextensionsv1.JSONSchemaProps{Type: "object", Properties: props}
	}
	container := obj(map[string]apiextensionsv1.JSONSchemaProps{"name": {Type: "string"}, "image": {Type: "string"},
		"ports": {Type: "array", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{Type: "object",
			Properties: map[string]apiextensionsv1.JSONSchemaProps{"containerPort": {Type: "integer"}}}}}})
	root := obj(map[string]apiextensionsv1.JSONSchemaProps{"spec": obj(map[string]apiextensionsv1.JSONSchemaProps{
		"template": obj(map[string]apiextensionsv1.JSONSchemaProps{"spec": obj(map[string]apiextensionsv1.JSONSchemaProps{
			"containers": {Type: "array", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &container}}})})})})
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "deployments." + group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: group, Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "deployments", Kind: kind, ListKind: kind + "List"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &root}}}},
		Status: apiextensionsv1.CustomResourceDefinitionStatus{AcceptedNames: apiextensionsv1.CustomResourceDefinitionNames{Plural: "deployments", Kind: kind, ListKind: kind + "List"}},
	}
}

// containersOf returns the containers' schema of a Deployment document.
func containersOf(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition) spec.Schema {
	doc, err := builder.BuildOpenAPIV3(crd, "v1", builder.Options{V2: false})
	require.NoError(t, err)
	withPatchMetadata(doc, crd, "v1")
	for _, s := range doc.Components.Schemas {
		if hasKind(s, crdKind(crd)) {
			return s.Properties["spec"].Properties["template"].Properties["spec"].Properties["containers"]
		}
	}
	t.Fatal("no schema of the kind")
	return spec.Schema{}
}

func TestWithPatchMetadata(t *testing.T) {
	containers := containersOf(t, deploymentCRD("apps", "Deployment"))
	assert.Equal(t, "name", containers.Extensions["x-kubernetes-patch-merge-key"])
	assert.Equal(t, "merge", containers.Extensions["x-kubernetes-patch-strategy"])
	ports := containers.Items.Schema.Properties["ports"]
	assert.Equal(t, "containerPort", ports.Extensions["x-kubernetes-patch-merge-key"], "nested lists too")

	other := containersOf(t, deploymentCRD("example.com", "Deployment"))
	assert.Nil(t, other.Extensions["x-kubernetes-patch-merge-key"], "a custom kind of the same name has no patch metadata")
}

// crdKind is the kind of a CRD at v1.
func crdKind(crd *apiextensionsv1.CustomResourceDefinition) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: crd.Spec.Group, Version: "v1", Kind: crd.Status.AcceptedNames.Kind}
}
