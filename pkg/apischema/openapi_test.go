package apischema

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A small OpenAPI v3 document in the shape kube-apiserver serves: references wrapped in allOf, an
// int-or-string, a Quantity, an enum with the zero value as default, a list map keyed by a defaulted field.
const gadgetOpenAPI = `{"components": {"schemas": {
  "io.example.v1.Gadget": {
    "type": "object",
    "x-kubernetes-group-version-kind": [{"group": "apps", "version": "v1", "kind": "Gadget"}],
    "properties": {
      "apiVersion": {"type": "string"},
      "kind": {"type": "string"},
      "metadata": {"default": {}, "allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}]},
      "spec": {"description": "the spec", "default": {}, "allOf": [{"$ref": "#/components/schemas/io.example.v1.GadgetSpec"}]},
      "status": {"$ref": "#/components/schemas/io.example.v1.GadgetStatus"}
    }
  },
  "io.example.v1.GadgetSpec": {
    "type": "object",
    "required": ["mode"],
    "properties": {
      "replicas": {"type": "integer", "format": "int32"},
      "port": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString"},
      "memory": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity"},
      "mode": {"type": "string", "default": "", "enum": ["Fast", "Slow"]},
      "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["protocol"],
        "items": {"type": "object", "properties": {"protocol": {"type": "string", "default": "TCP"}}}},
      "raw": {"type": "object"}
    }
  },
  "io.example.v1.GadgetStatus": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
  "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {"type": "object", "properties": {"name": {"type": "string"}}},
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"type": "string", "format": "int-or-string", "oneOf": [{"type": "integer"}, {"type": "string"}]},
  "io.k8s.apimachinery.pkg.api.resource.Quantity": {"oneOf": [{"type": "string"}, {"type": "number"}]}
}}}`

func TestCRDFromOpenAPI(t *testing.T) {
	r := Resource{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Gadget"},
		Plural: "gadgets", Singular: "gadget", ShortNames: []string{"gd"}, Namespaced: true, Status: true, Scale: true}
	crd, err := CRDFromOpenAPI([]byte(gadgetOpenAPI), r)
	require.NoError(t, err)
	assert.Equal(t, "gadgets.apps", crd.Name)
	assert.Equal(t, "GadgetList", crd.Spec.Names.ListKind)
	v := crd.Spec.Versions[0]
	assert.NotNil(t, v.Subresources.Status)
	assert.Equal(t, ".spec.replicas", v.Subresources.Scale.SpecReplicasPath)
	root := v.Schema.OpenAPIV3Schema
	assert.Equal(t, "object", root.Properties["metadata"].Type)
	assert.Empty(t, root.Properties["metadata"].Properties, "the root's metadata is the server's")
	spec := root.Properties["spec"]
	assert.Equal(t, "the spec", spec.Description, "the reference's description is kept")
	assert.Nil(t, spec.Default, "object defaults are left to the downstream server")
	assert.True(t, spec.Properties["port"].XIntOrString)
	assert.True(t, spec.Properties["memory"].XIntOrString)
	assert.Nil(t, spec.Properties["mode"].Default, "a zero default outside its enum is dropped")
	assert.JSONEq(t, `"TCP"`, string(spec.Properties["ports"].Items.Schema.Properties["protocol"].Default.Raw), "a list map key keeps its default")
	assert.True(t, *spec.Properties["raw"].XPreserveUnknownFields, "a free-form object keeps its fields")
	assert.Equal(t, []string{"mode"}, spec.Required)

	assert.Empty(t, Validate(context.Background(), FromCRD(crd, "k1")), "a valid APIResourceSchema, with its dotless Kubernetes group")

	_, err = CRDFromOpenAPI([]byte(gadgetOpenAPI), Resource{GroupVersionKind: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Nope"}})
	assert.ErrorContains(t, err, "no schema of apps/v1, Kind=Nope")
	_, err = CRDFromOpenAPI([]byte("{"), r)
	assert.Error(t, err)
}
