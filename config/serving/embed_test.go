package serving

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/apischema"
)

// TestCRDsAreValid loads every CRD through apiextensions' own validation (structural schema, printer columns, CEL
// rules compiled within the cost budget) and through the APIResourceSchema validation the provider's schemas pass.
func TestCRDsAreValid(t *testing.T) {
	crds, err := CRDs()
	require.NoError(t, err)
	var names []string
	for _, crd := range crds {
		names = append(names, crd.Name)
		internal := &apiextensions.CustomResourceDefinition{}
		require.NoError(t, apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, internal, nil))
		internal.Status.StoredVersions = []string{"v1alpha1"} // what the server records when it first stores the CRD
		assert.Empty(t, apiextensionsvalidation.ValidateCustomResourceDefinition(context.Background(), internal), crd.Name)
		assert.Empty(t, apischema.Validate(context.Background(), apischema.FromCRD(crd, "test")), crd.Name)
	}
	assert.Equal(t, []string{"inferenceservicerevisions.serving.gantry.dev", "inferenceservices.serving.gantry.dev",
		"models.serving.gantry.dev", "servingruntimes.serving.gantry.dev"}, names)
}

// crValidator validates a custom resource the way the custom resource handler does: defaults, the OpenAPI schema
// (enums, patterns, bounds), list-map keys and the CEL rules.
type crValidator struct {
	structural *structuralschema.Structural
	schema     apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

func newCRValidator(t *testing.T, plural string) *crValidator {
	t.Helper()
	crds, err := CRDs()
	require.NoError(t, err)
	for _, crd := range crds {
		if crd.Spec.Names.Plural != plural {
			continue
		}
		internal := &apiextensions.JSONSchemaProps{}
		require.NoError(t, apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(
			crd.Spec.Versions[0].Schema.OpenAPIV3Schema, internal, nil))
		s, err := structuralschema.NewStructural(internal)
		require.NoError(t, err)
		sv, _, err := apiservervalidation.NewSchemaValidator(internal)
		require.NoError(t, err)
		return &crValidator{structural: s, schema: sv, cel: cel.NewValidator(s, true, celconfig.PerCallLimit)}
	}
	t.Fatalf("no CRD of %s", plural)
	return nil
}

// validate returns the errors of creating obj (old empty) or of updating old to obj, both given as YAML.
func (v *crValidator) validate(t *testing.T, obj, old string) field.ErrorList {
	t.Helper()
	decode := func(s string) map[string]any {
		if s == "" {
			return nil
		}
		m := decodeYAML(t, s)
		structuraldefaulting.Default(m, v.structural)
		return m
	}
	o, oldObj := decode(obj), decode(old)
	var errs field.ErrorList
	if oldObj == nil {
		errs = apiservervalidation.ValidateCustomResource(nil, o, v.schema)
	} else {
		errs = apiservervalidation.ValidateCustomResourceUpdate(nil, o, oldObj, v.schema)
	}
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, v.structural, o)...)
	var oldAny any
	if oldObj != nil {
		oldAny = oldObj
	}
	celErrs, _ := v.cel.Validate(context.Background(), nil, v.structural, o, oldAny, celconfig.RuntimeCELCostBudget)
	return append(errs, celErrs...)
}

// decodeYAML decodes an object as the server does, integers as int64.
func decodeYAML(t *testing.T, s string) map[string]any {
	t.Helper()
	data, err := yaml.YAMLToJSON([]byte(s))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, utiljson.Unmarshal(data, &m))
	return m
}

const isvcHead = `apiVersion: serving.gantry.dev/v1alpha1
kind: InferenceService
metadata: {name: chat, namespace: default}
`

func TestInferenceServiceRules(t *testing.T) {
	v := newCRValidator(t, "inferenceservices")
	for _, tc := range []struct {
		name, spec, wantErr string
	}{
		{"storageUri with format", `{predictor: {model: {modelFormat: {name: onnx}, storageUri: "s3://b/m"}}}`, ""},
		{"modelRef at a version", `{predictor: {model: {modelRef: {name: llama, version: v1}}, minReplicas: 1, maxReplicas: 3}}`, ""},
		{"modelRef at a stage", `{predictor: {model: {modelRef: {name: llama, stage: Production}}, gpuProduct: NVIDIA-H100}}`, ""},
		{"neither storageUri nor modelRef", `{predictor: {model: {runtime: vllm}}}`,
			"set exactly one of storageUri (the model's files) or modelRef (a registered Model)"},
		{"both storageUri and modelRef", `{predictor: {model: {modelFormat: {name: onnx}, storageUri: "s3://b/m", modelRef: {name: llama, version: v1}}}}`,
			"set exactly one of storageUri (the model's files) or modelRef (a registered Model)"},
		{"storageUri without format", `{predictor: {model: {storageUri: "s3://b/m"}}}`,
			"a model given by storageUri needs modelFormat.name"},
		{"modelRef with version and stage", `{predictor: {model: {modelRef: {name: llama, version: v1, stage: Production}}}}`,
			"set exactly one of version (a fixed version) or stage"},
		{"modelRef with neither version nor stage", `{predictor: {model: {modelRef: {name: llama}}}}`,
			"set exactly one of version (a fixed version) or stage"},
		{"minReplicas above maxReplicas", `{predictor: {model: {modelRef: {name: llama, version: v1}}, minReplicas: 3, maxReplicas: 2}}`,
			"minReplicas must not be greater than maxReplicas"},
		{"unknown format", `{predictor: {model: {modelFormat: {name: pickle}, storageUri: "s3://b/m"}}}`,
			`Unsupported value: "pickle"`},
		{"follow stage None", `{predictor: {model: {modelRef: {name: llama, stage: None}}}}`, `Unsupported value: "None"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := v.validate(t, isvcHead+"spec: "+tc.spec, "")
			if tc.wantErr == "" {
				assert.Empty(t, errs)
				return
			}
			require.NotEmpty(t, errs)
			assert.Contains(t, errs.ToAggregate().Error(), tc.wantErr)
		})
	}
}

func TestInferenceServiceDefaults(t *testing.T) {
	s := newCRValidator(t, "inferenceservices").structural
	m := decodeYAML(t, isvcHead+`spec: {predictor: {model: {modelRef: {name: llama, version: v1}}}}`)
	structuraldefaulting.Default(m, s)
	var isvc servingv1alpha1.InferenceService
	require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(m, &isvc))
	require.NotNil(t, isvc.Spec.RevisionHistoryLimit)
	assert.Equal(t, int32(10), *isvc.Spec.RevisionHistoryLimit)
}

const modelHead = `apiVersion: serving.gantry.dev/v1alpha1
kind: Model
metadata: {name: llama, namespace: default}
`

func TestModelRules(t *testing.T) {
	v := newCRValidator(t, "models")
	for _, tc := range []struct {
		name, spec, wantErr string
	}{
		{"two versions, one in Production", `{format: safetensors, versions: [{name: v1, storageUri: "hf://m/a", stage: Production}, {name: v2, storageUri: "hf://m/b", stage: Staging}]}`, ""},
		{"no versions yet", `{format: gguf}`, ""},
		{"two versions in Production", `{format: safetensors, versions: [{name: v1, storageUri: "hf://m/a", stage: Production}, {name: v2, storageUri: "hf://m/b", stage: Production}]}`,
			"at most one version may be in stage Production"},
		{"a version named twice", `{format: onnx, versions: [{name: v1, storageUri: "s3://a"}, {name: v1, storageUri: "s3://b"}]}`,
			"Duplicate value"},
		{"unknown format", `{format: pickle}`, `Unsupported value: "pickle"`},
		{"unknown stage", `{format: onnx, versions: [{name: v1, storageUri: "s3://a", stage: Canary}]}`, `Unsupported value: "Canary"`},
		{"version without storageUri", `{format: onnx, versions: [{name: v1}]}`, "storageUri: Required value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := v.validate(t, modelHead+"spec: "+tc.spec, "")
			if tc.wantErr == "" {
				assert.Empty(t, errs)
				return
			}
			require.NotEmpty(t, errs)
			assert.Contains(t, errs.ToAggregate().Error(), tc.wantErr)
		})
	}
}

func TestModelVersionStageDefaultsToNone(t *testing.T) {
	s := newCRValidator(t, "models").structural
	m := decodeYAML(t, modelHead+`spec: {format: onnx, versions: [{name: v1, storageUri: "s3://a"}]}`)
	structuraldefaulting.Default(m, s)
	var model servingv1alpha1.Model
	require.NoError(t, runtime.DefaultUnstructuredConverter.FromUnstructured(m, &model))
	assert.Equal(t, servingv1alpha1.StageNone, model.Spec.Versions[0].Stage)
}

func TestRevisionIsImmutable(t *testing.T) {
	v := newCRValidator(t, "inferenceservicerevisions")
	revision := func(cause string) string {
		return `apiVersion: serving.gantry.dev/v1alpha1
kind: InferenceServiceRevision
metadata: {name: chat-1, namespace: default, labels: {a: b}}
spec:
  serviceName: chat
  revision: 1
  predictor: {model: {modelRef: {name: llama, version: v1}}}
  author: alice
  cause: ` + cause + "\n"
	}
	assert.Empty(t, v.validate(t, revision("spec changed"), ""), "create")
	assert.Empty(t, v.validate(t, revision("spec changed"), revision("spec changed")), "an unchanged spec")
	errs := v.validate(t, revision("rollback to 3"), revision("spec changed"))
	require.NotEmpty(t, errs)
	assert.Contains(t, errs.ToAggregate().Error(), "an InferenceServiceRevision is immutable")
}

func TestServingRuntimeRules(t *testing.T) {
	v := newCRValidator(t, "servingruntimes")
	head := "apiVersion: serving.gantry.dev/v1alpha1\nkind: ServingRuntime\nmetadata: {name: r, namespace: default}\nspec: "
	assert.Empty(t, v.validate(t, head+`{supportedModelFormats: [{name: onnx}], image: x, protocol: v2}`, ""))
	errs := v.validate(t, head+`{supportedModelFormats: [{name: onnx}], image: x, protocol: grpc}`, "")
	assert.Contains(t, errs.ToAggregate().Error(), `Unsupported value: "grpc"`)
	errs = v.validate(t, head+`{supportedModelFormats: [], image: x, protocol: v2}`, "")
	assert.Contains(t, errs.ToAggregate().Error(), "supportedModelFormats")
}

// TestBuiltinRuntimes checks that every built-in runtime passes the ServingRuntime schema, and the formats, protocols
// and GPU support the provider documents.
func TestBuiltinRuntimes(t *testing.T) {
	runtimes, err := Runtimes()
	require.NoError(t, err)
	v := newCRValidator(t, "servingruntimes")
	type summary struct {
		protocol servingv1alpha1.Protocol
		gpu      bool
		formats  []string
	}
	got := map[string]summary{}
	for _, r := range runtimes {
		data, err := yaml.Marshal(r)
		require.NoError(t, err)
		assert.Empty(t, v.validate(t, string(data), ""), r.Name)
		var formats []string
		for _, f := range r.Spec.SupportedModelFormats {
			formats = append(formats, string(f.Name))
		}
		got[r.Name] = summary{r.Spec.Protocol, r.Spec.GPU, formats}
	}
	assert.Equal(t, map[string]summary{
		"vllm":     {servingv1alpha1.ProtocolOpenAI, true, []string{"safetensors", "huggingface"}},
		"triton":   {servingv1alpha1.ProtocolV2, true, []string{"onnx", "pytorch", "tensorflow"}},
		"llamacpp": {servingv1alpha1.ProtocolOpenAI, true, []string{"gguf"}},
		"oip":      {servingv1alpha1.ProtocolV2, false, []string{"sklearn", "xgboost", "lightgbm", "onnx"}},
	}, got)
	for _, r := range runtimes {
		assert.True(t, strings.HasPrefix(r.Spec.Args[0], "-") || r.Name == "oip", "%s: args are flags of the image's server", r.Name)
	}
}
