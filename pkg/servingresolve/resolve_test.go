package servingresolve

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	servingconfig "github.com/gantry-dev/gantry/config/serving"
)

func builtins(t *testing.T) []*servingv1alpha1.ServingRuntime {
	t.Helper()
	runtimes, err := servingconfig.Runtimes()
	require.NoError(t, err)
	return runtimes
}

func llama() *servingv1alpha1.Model {
	return &servingv1alpha1.Model{
		ObjectMeta: metav1.ObjectMeta{Name: "llama"},
		Spec: servingv1alpha1.ModelSpec{Format: servingv1alpha1.FormatSafetensors, Versions: []servingv1alpha1.ModelVersion{
			{Name: "v1", StorageURI: "s3://models/llama/v1", Stage: servingv1alpha1.StageArchived},
			{Name: "v2", StorageURI: "s3://models/llama/v2", Stage: servingv1alpha1.StageProduction},
			{Name: "v3", StorageURI: "s3://models/llama/v3", Stage: servingv1alpha1.StageStaging, Runtime: "custom"},
		}},
	}
}

func gpus(n int64) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{Limits: corev1.ResourceList{GPUResource: *resource.NewQuantity(n, resource.DecimalSI)}}
}

func ptr[T any](v T) *T { return &v }

func TestResolve(t *testing.T) {
	custom := &servingv1alpha1.ServingRuntime{ObjectMeta: metav1.ObjectMeta{Name: "custom"},
		Spec: servingv1alpha1.ServingRuntimeSpec{GPU: true, SupportedModelFormats: []servingv1alpha1.SupportedModelFormat{
			{Name: servingv1alpha1.FormatSafetensors}}}}
	// A namespace's runtime named like a built-in one wins over it.
	localVLLM := &servingv1alpha1.ServingRuntime{ObjectMeta: metav1.ObjectMeta{Name: "vllm"},
		Spec: servingv1alpha1.ServingRuntimeSpec{Image: "registry.local/vllm:patched", GPU: true,
			SupportedModelFormats: []servingv1alpha1.SupportedModelFormat{{Name: servingv1alpha1.FormatSafetensors}}}}

	tests := []struct {
		name        string
		predictor   servingv1alpha1.PredictorModel
		model       *servingv1alpha1.Model
		local       []*servingv1alpha1.ServingRuntime
		wantModel   string
		wantURI     string
		wantRuntime string
		wantImage   string
		wantReason  string
		wantField   string
		wantMessage string
	}{
		{name: "version by name", model: llama(),
			predictor: servingv1alpha1.PredictorModel{ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: "v1"}},
			wantModel: "llama:v1", wantURI: "s3://models/llama/v1", wantRuntime: "vllm"},
		{name: "production stage", model: llama(),
			predictor: servingv1alpha1.PredictorModel{ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Stage: servingv1alpha1.FollowProduction}},
			wantModel: "llama:v2", wantURI: "s3://models/llama/v2", wantRuntime: "vllm"},
		{name: "a version's runtime hint", model: llama(), local: []*servingv1alpha1.ServingRuntime{custom},
			predictor: servingv1alpha1.PredictorModel{ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Stage: servingv1alpha1.FollowStaging}},
			wantModel: "llama:v3", wantRuntime: "custom"},
		{name: "the namespace's runtime wins over the built-in", model: llama(), local: []*servingv1alpha1.ServingRuntime{localVLLM},
			predictor: servingv1alpha1.PredictorModel{Runtime: "vllm", ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: "v2"}},
			wantModel: "llama:v2", wantRuntime: "vllm", wantImage: "registry.local/vllm:patched"},
		{name: "storageUri auto-selects by format",
			predictor: servingv1alpha1.PredictorModel{StorageURI: ptr("s3://m/iris"), ModelFormat: &servingv1alpha1.ModelFormat{Name: servingv1alpha1.FormatSKLearn}},
			wantModel: "s3://m/iris", wantURI: "s3://m/iris", wantRuntime: "oip"},
		{name: "GPUs on a GPU runtime", model: llama(),
			predictor: servingv1alpha1.PredictorModel{Resources: gpus(2), ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: "v2"}},
			wantModel: "llama:v2", wantRuntime: "vllm"},

		{name: "missing model",
			predictor:  servingv1alpha1.PredictorModel{ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: "v1"}},
			wantReason: ReasonModelNotFound, wantField: "spec.predictor.model.modelRef.name", wantMessage: `no Model "llama"`},
		{name: "missing version", model: llama(),
			predictor:  servingv1alpha1.PredictorModel{ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: "v9"}},
			wantReason: ReasonVersionNotFound, wantField: "spec.predictor.model.modelRef.version", wantMessage: `it has "v1", "v2", "v3"`},
		{name: "nothing in the stage", model: &servingv1alpha1.Model{ObjectMeta: metav1.ObjectMeta{Name: "new"},
			Spec: servingv1alpha1.ModelSpec{Format: servingv1alpha1.FormatONNX, Versions: []servingv1alpha1.ModelVersion{{Name: "v1"}}}},
			predictor:  servingv1alpha1.PredictorModel{ModelRef: &servingv1alpha1.ModelReference{Name: "new", Stage: servingv1alpha1.FollowProduction}},
			wantReason: ReasonNoVersionInStage, wantField: "spec.predictor.model.modelRef.stage", wantMessage: "kubectl gantry promote model/new"},
		{name: "format differs from the model's", model: llama(),
			predictor: servingv1alpha1.PredictorModel{ModelFormat: &servingv1alpha1.ModelFormat{Name: servingv1alpha1.FormatONNX},
				ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: "v1"}},
			wantReason: ReasonFormatMismatch, wantField: "spec.predictor.model.modelFormat.name", wantMessage: `set it to "safetensors"`},
		{name: "unknown runtime", model: llama(),
			predictor:  servingv1alpha1.PredictorModel{Runtime: "tgi", ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: "v1"}},
			wantReason: ReasonRuntimeNotFound, wantField: "spec.predictor.model.runtime", wantMessage: `no ServingRuntime "tgi"`},
		{name: "a version's hint names an unknown runtime", model: llama(),
			predictor:  servingv1alpha1.PredictorModel{ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: "v3"}},
			wantReason: ReasonRuntimeNotFound, wantField: "spec.predictor.model.modelRef", wantMessage: `names runtime "custom"`},
		{name: "runtime does not serve the format", model: llama(),
			predictor:  servingv1alpha1.PredictorModel{Runtime: "oip", ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Version: "v1"}},
			wantReason: ReasonRuntimeFormatMismatch, wantField: "spec.predictor.model.runtime", wantMessage: `does not serve format "safetensors"`},
		{name: "no runtime auto-selects the format",
			predictor:  servingv1alpha1.PredictorModel{StorageURI: ptr("s3://m/x"), ModelFormat: &servingv1alpha1.ModelFormat{Name: servingv1alpha1.FormatLightGBM + "x"}},
			wantReason: ReasonNoRuntimeForFormat, wantField: "spec.predictor.model.runtime", wantMessage: "set spec.predictor.model.runtime"},
		{name: "GPUs on a runtime without GPU support",
			predictor: servingv1alpha1.PredictorModel{Resources: gpus(1), StorageURI: ptr("s3://m/iris"),
				ModelFormat: &servingv1alpha1.ModelFormat{Name: servingv1alpha1.FormatSKLearn}},
			wantReason: ReasonGPUNotSupported, wantField: "spec.predictor.model.resources", wantMessage: `runtime "oip" does not support GPUs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(&tt.predictor, tt.model, Catalog{Local: tt.local, Builtin: builtins(t)})
			if tt.wantReason != "" {
				require.NotNil(t, err, "want %s", tt.wantReason)
				assert.Equal(t, tt.wantReason, err.Reason)
				assert.Equal(t, tt.wantField, err.Field.String())
				assert.Contains(t, err.Message, tt.wantMessage)
				assert.True(t, strings.HasPrefix(err.FieldError().Error(), tt.wantField), err.FieldError().Error())
				return
			}
			require.Nil(t, err)
			assert.Equal(t, tt.wantModel, Label(got.Model))
			if tt.wantURI != "" {
				assert.Equal(t, tt.wantURI, got.Model.StorageURI)
			}
			assert.Equal(t, tt.wantRuntime, got.Runtime.Name)
			if tt.wantImage != "" {
				assert.Equal(t, tt.wantImage, got.Runtime.Spec.Image)
			}
		})
	}
}

func TestFieldErrorTypes(t *testing.T) {
	notFound := (&Error{Reason: ReasonModelNotFound, Field: field.NewPath("spec"), Value: "x", Message: "m"}).FieldError()
	assert.Equal(t, field.ErrorTypeNotFound, notFound.Type)
	assert.Equal(t, "m", notFound.Detail)
	invalid := (&Error{Reason: ReasonGPUNotSupported, Field: field.NewPath("spec"), Value: "x", Message: "m"}).FieldError()
	assert.Equal(t, field.ErrorTypeInvalid, invalid.Type)
}

func TestGPUs(t *testing.T) {
	assert.Equal(t, int64(0), GPUs(corev1.ResourceRequirements{}))
	assert.Equal(t, int64(3), GPUs(gpus(3)))
	req := corev1.ResourceRequirements{Requests: corev1.ResourceList{GPUResource: resource.MustParse("2")}}
	assert.Equal(t, int64(2), GPUs(req))
	assert.False(t, RequestsGPU(gpus(0)))
}
