package customresources

import (
	"testing"

	"github.com/stretchr/testify/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestBuiltinKind(t *testing.T) {
	assert.IsType(t, &appsv1.Deployment{}, BuiltinKind(appsv1.SchemeGroupVersion.WithKind("Deployment")))
	assert.IsType(t, &corev1.Service{}, BuiltinKind(corev1.SchemeGroupVersion.WithKind("Service")))
	for _, kind := range []schema.GroupVersionKind{
		{Group: "example.com", Version: "v1", Kind: "Widget"},
		{Group: "apps", Version: "v1", Kind: "DeploymentList"},
		{Group: "apps", Version: "v1", Kind: "ListOptions"},
		{Group: "apps", Version: "v1", Kind: "WatchEvent"},
		{Group: "apps", Version: "v9", Kind: "Deployment"},
		{Group: "apps", Kind: "Deployment"},
	} {
		assert.Nil(t, BuiltinKind(kind), kind.String())
	}
}

func TestPruningDefaulter(t *testing.T) {
	gk := schema.GroupKind{Group: "apps", Kind: "Deployment"}
	s := &structuralschema.Structural{Generic: structuralschema.Generic{Type: "object"}, Properties: map[string]structuralschema.Structural{
		"spec": {Generic: structuralschema.Generic{Type: "object"}, Properties: map[string]structuralschema.Structural{
			"replicas": {Generic: structuralschema.Generic{Type: "integer", Default: structuralschema.JSON{Object: int64(1)}}}}}}}
	d := pruningDefaulter{defaulter{schemas: schemas{gk: gk, byVersion: map[string]*structuralschema.Structural{"v1": s}}}}
	obj := &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]interface{}{"name": "llm"}, "spec": map[string]interface{}{"bogus": "x"}}}
	d.Default(obj)
	assert.Equal(t, map[string]interface{}{"replicas": int64(1)}, obj.Object["spec"], "pruned, then defaulted")
	assert.Equal(t, "llm", obj.GetName(), "metadata is kept")
}
