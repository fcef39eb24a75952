package apidiscovery

import (
	"reflect"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/gantry-dev/gantry/pkg/customresources"
)

// withPatchMetadata adds to the OpenAPI v3 document of a CRD's version, when its kind is a Kubernetes built-in kind
// (customresources.BuiltinKind), the strategic merge patch metadata of that kind's Go struct
// (x-kubernetes-patch-strategy, x-kubernetes-patch-merge-key), as kube-apiserver publishes it, for clients that
// compute strategic merge patches from the OpenAPI rather than from compiled-in types: without it, lists the server
// merges by key (containers by name) would look atomic to them, and an item removed from a manifest would stay.
func withPatchMetadata(doc *spec3.OpenAPI, crd *apiextensionsv1.CustomResourceDefinition, version string) {
	gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: version, Kind: crd.Status.AcceptedNames.Kind}
	typed := customresources.BuiltinKind(gvk)
	if typed == nil || doc == nil || doc.Components == nil {
		return
	}
	for _, s := range doc.Components.Schemas {
		if s != nil && hasKind(s, gvk) {
			annotate(s, reflect.TypeOf(typed), 0)
		}
	}
}

// hasKind reports whether a component schema is the one of gvk (x-kubernetes-group-version-kind).
func hasKind(s *spec.Schema, gvk schema.GroupVersionKind) bool {
	kinds, _ := s.Extensions["x-kubernetes-group-version-kind"].([]interface{})
	for _, k := range kinds {
		m, _ := k.(map[string]interface{})
		if m["group"] == gvk.Group && m["version"] == gvk.Version && m["kind"] == gvk.Kind {
			return true
		}
	}
	return false
}

// annotate walks a schema along the Go type it describes and copies the patch struct tags of its fields.
func annotate(s *spec.Schema, t reflect.Type, depth int) {
	if s == nil || depth > 64 {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			annotateField(s, t.Field(i), depth)
		}
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Uint8 && s.Items != nil {
			annotate(s.Items.Schema, t.Elem(), depth+1)
		}
	case reflect.Map:
		if s.AdditionalProperties != nil {
			annotate(s.AdditionalProperties.Schema, t.Elem(), depth+1)
		}
	}
}

// annotateField copies one struct field's patch tags to its property of s, and walks on into it.
func annotateField(s *spec.Schema, f reflect.StructField, depth int) {
	name, options, _ := strings.Cut(f.Tag.Get("json"), ",")
	if f.Anonymous && name == "" || strings.Contains(options, "inline") {
		annotate(s, f.Type, depth+1)
		return
	}
	prop, ok := s.Properties[name]
	if !ok || name == "-" {
		return
	}
	if strategy := f.Tag.Get("patchStrategy"); strategy != "" {
		prop.AddExtension("x-kubernetes-patch-strategy", strategy)
	}
	if key := f.Tag.Get("patchMergeKey"); key != "" {
		prop.AddExtension("x-kubernetes-patch-merge-key", key)
	}
	annotate(&prop, f.Type, depth+1)
	s.Properties[name] = prop
}
