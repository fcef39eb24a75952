package apischema

import (
	"encoding/json"
	"fmt"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resource describes a resource served by a Kubernetes API server, as its discovery tells it.
type Resource struct {
	// GroupVersionKind is the resource's kind.
	GroupVersionKind schema.GroupVersionKind
	// Plural, Singular and ShortNames are its names.
	Plural, Singular string
	ShortNames       []string
	// Namespaced is its scope.
	Namespaced bool
	// Status and Scale tell whether it has those subresources.
	Status, Scale bool
}

// maxDepth bounds how deep references are followed; deeper parts keep whatever fields they have.
const maxDepth = 40

// CRDFromOpenAPI builds the CustomResourceDefinition of a built-in resource from its server's OpenAPI v3 document
// of the group version (the body of /openapi/v3/apis/<group>/<version>): the kind's component schema with every
// reference inlined, turned structural. Server-side defaults are left to the server that runs the objects; list
// and map markers, int-or-string and required fields are kept, so that server-side apply merges as it does there.
func CRDFromOpenAPI(doc []byte, r Resource) (*apiextensionsv1.CustomResourceDefinition, error) {
	var parsed struct {
		Components struct {
			Schemas map[string]map[string]interface{} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		return nil, fmt.Errorf("reading the OpenAPI document: %w", err)
	}
	defs := parsed.Components.Schemas
	root := findKind(defs, r.GroupVersionKind)
	if root == nil {
		return nil, fmt.Errorf("the OpenAPI document has no schema of %s", r.GroupVersionKind)
	}
	converted := structural(root, defs, 0)
	props, _ := converted["properties"].(map[string]interface{})
	if props == nil {
		return nil, fmt.Errorf("the schema of %s has no properties", r.GroupVersionKind)
	}
	props["metadata"] = map[string]interface{}{"type": "object"}
	converted["type"] = "object"
	var props3 apiextensionsv1.JSONSchemaProps
	data, err := json.Marshal(converted)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &props3); err != nil {
		return nil, fmt.Errorf("the schema of %s: %w", r.GroupVersionKind, err)
	}
	return newCRD(r, &props3), nil
}

// newCRD wraps a schema into the CRD of r.
func newCRD(r Resource, s *apiextensionsv1.JSONSchemaProps) *apiextensionsv1.CustomResourceDefinition {
	gvk := r.GroupVersionKind
	scope := apiextensionsv1.ClusterScoped
	if r.Namespaced {
		scope = apiextensionsv1.NamespaceScoped
	}
	version := apiextensionsv1.CustomResourceDefinitionVersion{Name: gvk.Version, Served: true, Storage: true,
		Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: s}}
	if r.Status || r.Scale {
		version.Subresources = &apiextensionsv1.CustomResourceSubresources{}
	}
	if r.Status {
		version.Subresources.Status = &apiextensionsv1.CustomResourceSubresourceStatus{}
	}
	if r.Scale {
		version.Subresources.Scale = &apiextensionsv1.CustomResourceSubresourceScale{
			SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas"}
	}
	return &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: r.Plural + "." + gvk.Group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: gvk.Group, Scope: scope, Versions: []apiextensionsv1.CustomResourceDefinitionVersion{version},
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: r.Plural, Singular: r.Singular, Kind: gvk.Kind,
				ListKind: gvk.Kind + "List", ShortNames: r.ShortNames},
		},
	}
}

// findKind returns the component schema that declares gvk.
func findKind(defs map[string]map[string]interface{}, gvk schema.GroupVersionKind) map[string]interface{} {
	for _, def := range defs {
		kinds, _ := def["x-kubernetes-group-version-kind"].([]interface{})
		for _, k := range kinds {
			m, _ := k.(map[string]interface{})
			if m["group"] == gvk.Group && m["version"] == gvk.Version && m["kind"] == gvk.Kind {
				return def
			}
		}
	}
	return nil
}

// keptKeys are the schema keywords that survive the conversion as they are.
var keptKeys = []string{"type", "format", "description", "required", "enum", "nullable", "maximum", "minimum",
	"exclusiveMaximum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
	"maxProperties", "minProperties", "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type",
	"x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string", "x-kubernetes-embedded-resource"}

// structural returns node with references inlined and only what a structural schema allows.
func structural(node map[string]interface{}, defs map[string]map[string]interface{}, depth int) map[string]interface{} {
	if depth > maxDepth {
		return map[string]interface{}{"type": "object", "x-kubernetes-preserve-unknown-fields": true}
	}
	node = resolve(node, defs)
	out := map[string]interface{}{}
	for _, k := range keptKeys {
		if v, ok := node[k]; ok {
			out[k] = v
		}
	}
	if d, ok := node["default"]; ok && isScalar(d) && allowed(node, d) {
		out["default"] = d // list map keys need theirs; objects' defaults are left to the downstream server
	}
	if isIntOrString(node) {
		return map[string]interface{}{"x-kubernetes-int-or-string": true, "description": node["description"]}
	}
	if props, ok := node["properties"].(map[string]interface{}); ok {
		converted := map[string]interface{}{}
		for name, p := range props {
			if m, ok := p.(map[string]interface{}); ok {
				converted[name] = structural(m, defs, depth+1)
			}
		}
		out["properties"] = converted
	}
	if items, ok := node["items"].(map[string]interface{}); ok {
		out["items"] = structural(items, defs, depth+1)
	}
	if extra, ok := node["additionalProperties"].(map[string]interface{}); ok {
		out["additionalProperties"] = structural(extra, defs, depth+1)
	}
	if out["type"] == nil && out["x-kubernetes-preserve-unknown-fields"] == nil {
		// A free-form value (RawExtension, JSON): keep whatever it holds.
		out["x-kubernetes-preserve-unknown-fields"] = true
	}
	if out["type"] == "object" && out["properties"] == nil && out["additionalProperties"] == nil {
		out["x-kubernetes-preserve-unknown-fields"] = true
	}
	if out["description"] == nil {
		delete(out, "description")
	}
	return out
}

// resolve follows a $ref, or an allOf of one schema (how OpenAPI v3 attaches a description or default to a
// reference), keeping the outer description.
func resolve(node map[string]interface{}, defs map[string]map[string]interface{}) map[string]interface{} {
	for i := 0; i < maxDepth; i++ {
		if ref, ok := node["$ref"].(string); ok {
			target := defs[strings.TrimPrefix(ref, "#/components/schemas/")]
			if target == nil {
				return map[string]interface{}{"x-kubernetes-preserve-unknown-fields": true}
			}
			node = withDescription(target, node["description"])
			continue
		}
		if all, ok := node["allOf"].([]interface{}); ok && len(all) == 1 {
			if inner, ok := all[0].(map[string]interface{}); ok {
				node = withDescription(inner, node["description"])
				continue
			}
		}
		return node
	}
	return node
}

// withDescription returns node with the given description when there is one.
func withDescription(node map[string]interface{}, description interface{}) map[string]interface{} {
	if description == nil {
		return node
	}
	out := make(map[string]interface{}, len(node)+1)
	for k, v := range node {
		out[k] = v
	}
	out["description"] = description
	return out
}

// allowed reports whether a default is one of the schema's enum values, when it has an enum: Kubernetes' OpenAPI
// gives required enum fields their zero value as default, which an enum refuses.
func allowed(node map[string]interface{}, d interface{}) bool {
	enum, ok := node["enum"].([]interface{})
	if !ok {
		return true
	}
	for _, v := range enum {
		if v == d {
			return true
		}
	}
	return false
}

// isScalar reports whether a default value is a string, number or boolean.
func isScalar(v interface{}) bool {
	switch v.(type) {
	case string, float64, bool, int64, int:
		return true
	}
	return false
}

// isIntOrString reports whether a schema is an int-or-string: IntOrString and Quantity.
func isIntOrString(node map[string]interface{}) bool {
	if node["x-kubernetes-int-or-string"] == true || node["format"] == "int-or-string" {
		return true
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		if alts, ok := node[key].([]interface{}); ok && len(alts) > 0 {
			return true
		}
	}
	return false
}
