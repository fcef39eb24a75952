package customresources

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apiextensions-apiserver/pkg/crdserverscheme"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestCoreGroupValidation(t *testing.T) {
	kind := schema.GroupVersionKind{Version: "v1", Kind: "Service"}
	strategy := customresource.NewStrategy(crdserverscheme.NewUnstructuredObjectTyper(), true, kind, nil, nil, nil, nil, nil, nil)
	svc := &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]interface{}{"name": "llm", "namespace": "default", "resourceVersion": "1"}}}
	assert.NotEmpty(t, strategy.Validate(context.Background(), svc), "upstream wants /v1")
	validating := customresource.NewStrategy(crdserverscheme.NewUnstructuredObjectTyper(), true, schema.GroupVersionKind{Group: "core", Version: "v1", Kind: "Service"},
		nil, nil, nil, nil, nil, nil)
	create := coreCreateStrategy{RESTCreateStrategy: strategy, validator: validating}
	assert.Empty(t, create.Validate(context.Background(), svc))
	assert.Equal(t, "v1", svc.GetAPIVersion(), "put back")
	update := coreUpdateStrategy{RESTUpdateStrategy: customresource.NewStatusStrategy(strategy), validator: customresource.NewStatusStrategy(validating)}
	assert.Empty(t, update.ValidateUpdate(context.Background(), svc, svc.DeepCopy()))
	wrong := svc.DeepCopy()
	wrong.SetAPIVersion("apps/v1")
	assert.NotEmpty(t, create.Validate(context.Background(), wrong))
}
