package samples

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
)

// TestSamplesDecodeStrictly decodes every sample into its Go type, refusing unknown fields, so that a misspelt
// field fails here rather than being pruned silently by the server.
func TestSamplesDecodeStrictly(t *testing.T) {
	for sample, into := range map[string]any{
		MyCRD:            &apiextensionsv1.CustomResourceDefinition{},
		WidgetsCRD:       &apiextensionsv1.CustomResourceDefinition{},
		WidgetsSchema:    &apisv1alpha1.APIResourceSchema{},
		WidgetsAPIExport: &apisv1alpha1.APIExport{},
		GPUDeployment:    &appsv1.Deployment{},
		LlamaModel:       &servingv1alpha1.Model{},
		LlamaService:     &servingv1alpha1.InferenceService{},
	} {
		require.NoError(t, yaml.UnmarshalStrict([]byte(sample), into))
	}
	var widget unstructured.Unstructured
	require.NoError(t, yaml.Unmarshal([]byte(MyWidget), &widget.Object))
	assert.Equal(t, "Widget", widget.GetKind())
	assert.Equal(t, "my-widget", widget.GetName())
}

// TestEveryFileIsExposed keeps Files and the variables in step.
func TestEveryFileIsExposed(t *testing.T) {
	names, err := fs.Glob(Files, "*.yaml")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"gpu-deployment.yaml", "llama-model.yaml", "llama-service.yaml", "my-crd.yaml", "my-widget.yaml", "widgets-apiexport.yaml", "widgets-crd.yaml", "widgets-schema.yaml"}, names)
	for _, name := range names {
		data, err := Files.ReadFile(name)
		require.NoError(t, err)
		assert.Contains(t, []string{GPUDeployment, LlamaModel, LlamaService, MyCRD, MyWidget, WidgetsAPIExport, WidgetsCRD, WidgetsSchema}, string(data), name)
	}
}
