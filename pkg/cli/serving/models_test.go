package serving

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
)

// modelsNow is the fixed time the tables are printed at.
var modelsNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// modelsFixture is a Model with versions in the given stages ("" for an unset stage), created an hour before modelsNow.
func modelsFixture(ns, name string, format servingv1alpha1.ModelFormatName, stages ...servingv1alpha1.ModelStage) servingv1alpha1.Model {
	m := servingv1alpha1.Model{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(modelsNow.Add(-time.Hour))},
		Spec:       servingv1alpha1.ModelSpec{Format: format},
	}
	for i, stage := range stages {
		m.Spec.Versions = append(m.Spec.Versions, servingv1alpha1.ModelVersion{
			Name: "v" + string(rune('1'+i)), StorageURI: "s3://models/" + name, Stage: stage})
	}
	return m
}

func TestModelsTable(t *testing.T) {
	models := []servingv1alpha1.Model{
		modelsFixture("ml", "llama-8b", servingv1alpha1.FormatSafetensors, servingv1alpha1.StageArchived, servingv1alpha1.StageProduction, servingv1alpha1.StageStaging),
		modelsFixture("ml", "resnet", servingv1alpha1.FormatONNX, ""),
		modelsFixture("vision", "empty", servingv1alpha1.FormatGGUF),
	}

	var out bytes.Buffer
	require.NoError(t, modelsTable(&out, models, false, modelsNow))
	assert.Equal(t, ""+
		"NAME       FORMAT        VERSIONS                                  PRODUCTION   AGE\n"+
		"llama-8b   safetensors   v1(Archived),v2(Production),v3(Staging)   v2           60m\n"+
		"resnet     onnx          v1(None)                                  <none>       60m\n"+
		"empty      gguf          <none>                                    <none>       60m\n", out.String())

	out.Reset()
	require.NoError(t, modelsTable(&out, models[2:], true, modelsNow))
	assert.Equal(t, ""+
		"NAMESPACE   NAME    FORMAT   VERSIONS   PRODUCTION   AGE\n"+
		"vision      empty   gguf     <none>     <none>       60m\n", out.String())
}
