package admission

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// workspaceModels is a ServingReader over Models and runtimes kept per workspace, recording which workspaces it
// was asked about.
type workspaceModels struct {
	models   map[logicalcluster.Name][]*servingv1alpha1.Model
	runtimes map[logicalcluster.Name][]*servingv1alpha1.ServingRuntime
	asked    []logicalcluster.Name
}

func (w *workspaceModels) Model(_ context.Context, cluster logicalcluster.Name, namespace, name string) (*servingv1alpha1.Model, error) {
	w.asked = append(w.asked, cluster)
	for _, m := range w.models[cluster] {
		if m.Namespace == namespace && m.Name == name {
			return m, nil
		}
	}
	return nil, nil
}

func (w *workspaceModels) Runtimes(_ context.Context, cluster logicalcluster.Name, namespace string) ([]*servingv1alpha1.ServingRuntime, error) {
	w.asked = append(w.asked, cluster)
	var out []*servingv1alpha1.ServingRuntime
	for _, r := range w.runtimes[cluster] {
		if r.Namespace == namespace {
			out = append(out, r)
		}
	}
	return out, nil
}

func llamaModel() *servingv1alpha1.Model {
	return &servingv1alpha1.Model{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "llama"},
		Spec: servingv1alpha1.ModelSpec{Format: servingv1alpha1.FormatSafetensors, Versions: []servingv1alpha1.ModelVersion{
			{Name: "v1", StorageURI: "s3://m/llama/v1", Stage: servingv1alpha1.StageProduction}}}}
}

// unstructuredService returns an InferenceService as a bound resource's admission sees it.
func unstructuredService(t *testing.T, predictor servingv1alpha1.PredictorModel, annotations map[string]string) *unstructured.Unstructured {
	t.Helper()
	isvc := &servingv1alpha1.InferenceService{
		TypeMeta:   metav1.TypeMeta{APIVersion: servingv1alpha1.SchemeGroupVersion.String(), Kind: "InferenceService"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "chat", Annotations: annotations},
		Spec:       servingv1alpha1.InferenceServiceSpec{Predictor: servingv1alpha1.PredictorSpec{Model: predictor}},
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(isvc)
	require.NoError(t, err)
	return &unstructured.Unstructured{Object: content}
}

func attributes(op admission.Operation, resource string, obj, old runtime.Object, subresource, userName string) admission.Attributes {
	gvr := servingv1alpha1.SchemeGroupVersion.WithResource(resource)
	return admission.NewAttributesRecord(obj, old, servingv1alpha1.SchemeGroupVersion.WithKind("InferenceService"), "default",
		"chat", gvr, subresource, op, nil, false, &user.DefaultInfo{Name: userName})
}

func ref(name, version string) servingv1alpha1.PredictorModel {
	return servingv1alpha1.PredictorModel{ModelRef: &servingv1alpha1.ModelReference{Name: name, Version: version}}
}

func TestServingRefsRefusesWhatCannotBeServed(t *testing.T) {
	teamA, teamB := logicalcluster.Name("team-a"), logicalcluster.Name("team-b")
	uri := "s3://m/iris"
	gpuOnCPURuntime := servingv1alpha1.PredictorModel{StorageURI: &uri,
		ModelFormat: &servingv1alpha1.ModelFormat{Name: servingv1alpha1.FormatSKLearn},
		Resources:   corev1.ResourceRequirements{Limits: corev1.ResourceList{"nvidia.com/gpu": resource.MustParse("1")}}}
	tests := []struct {
		name      string
		predictor servingv1alpha1.PredictorModel
		wantField string
		wantText  string
	}{
		{"a model that exists", ref("llama", "v1"), "", ""},
		{"a missing model", ref("mistral", "v1"), "spec.predictor.model.modelRef.name", `no Model "mistral" in this namespace`},
		{"a missing version", ref("llama", "v7"), "spec.predictor.model.modelRef.version", `has no version "v7"`},
		{"an unknown runtime", func() servingv1alpha1.PredictorModel { p := ref("llama", "v1"); p.Runtime = "tgi"; return p }(),
			"spec.predictor.model.runtime", `no ServingRuntime "tgi"`},
		{"a runtime that does not serve the format", func() servingv1alpha1.PredictorModel { p := ref("llama", "v1"); p.Runtime = "oip"; return p }(),
			"spec.predictor.model.runtime", `does not serve format "safetensors"`},
		{"GPUs on a runtime without GPU support", gpuOnCPURuntime, "spec.predictor.model.resources", "does not support GPUs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reader := &workspaceModels{models: map[logicalcluster.Name][]*servingv1alpha1.Model{teamA: {llamaModel()}}}
			refs := &ServingRefs{Reader: reader}
			ctx := logicalcluster.WithCluster(context.Background(), teamA)
			err := refs.Validate(ctx, attributes(admission.Create, "inferenceservices", unstructuredService(t, tt.predictor, nil), nil, "", "alice"), nil)
			assert.NotContains(t, reader.asked, teamB, "reads stay in the request's workspace")
			if tt.wantField == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			status, ok := err.(apierrors.APIStatus)
			require.True(t, ok, "a Status error: %v", err)
			assert.Equal(t, int32(http.StatusUnprocessableEntity), status.Status().Code)
			require.NotNil(t, status.Status().Details)
			require.Len(t, status.Status().Details.Causes, 1)
			assert.Equal(t, tt.wantField, status.Status().Details.Causes[0].Field)
			assert.Contains(t, err.Error(), tt.wantText)
		})
	}
}

// TestServingRefsJudgesOnlySpecChanges: a status write or an update that keeps the spec is not judged again, so a
// service whose Model was deleted since can still be annotated and report its status.
func TestServingRefsJudgesOnlySpecChanges(t *testing.T) {
	refs := &ServingRefs{Reader: &workspaceModels{}}
	ctx := logicalcluster.WithCluster(context.Background(), "team-a")
	old := unstructuredService(t, ref("gone", "v1"), nil)
	obj := unstructuredService(t, ref("gone", "v1"), map[string]string{"note": "x"})
	assert.NoError(t, refs.Validate(ctx, attributes(admission.Update, "inferenceservices", obj, old, "", "alice"), nil))
	assert.NoError(t, refs.Validate(ctx, attributes(admission.Update, "inferenceservices", obj, old, "status", "alice"), nil))
	changed := unstructuredService(t, ref("gone", "v2"), nil)
	err := refs.Validate(ctx, attributes(admission.Update, "inferenceservices", changed, old, "", "alice"), nil)
	assert.True(t, apierrors.IsInvalid(err), "a spec change is judged: %v", err)
}

func TestSpecChanged(t *testing.T) {
	a := unstructuredService(t, ref("llama", "v1"), nil)
	sameSpec := unstructuredService(t, ref("llama", "v1"), map[string]string{"k": "v"})
	otherSpec := unstructuredService(t, ref("llama", "v2"), nil)
	typed := &servingv1alpha1.InferenceService{Spec: servingv1alpha1.InferenceServiceSpec{Predictor: servingv1alpha1.PredictorSpec{Model: ref("llama", "v1")}}}
	assert.True(t, specChanged(attributes(admission.Create, "inferenceservices", a, nil, "", "u")), "a creation")
	assert.False(t, specChanged(attributes(admission.Update, "inferenceservices", sameSpec, a, "", "u")), "metadata only")
	assert.True(t, specChanged(attributes(admission.Update, "inferenceservices", otherSpec, a, "", "u")), "another version")
	assert.False(t, specChanged(attributes(admission.Update, "inferenceservices", typed, a, "", "u")), "typed and unstructured alike")
	spelled := unstructuredService(t, ref("llama", "v1"), nil)
	require.NoError(t, unstructured.SetNestedMap(spelled.Object, map[string]interface{}{}, "spec", "predictor", "model", "resources"))
	assert.False(t, specChanged(attributes(admission.Update, "inferenceservices", spelled, a, "", "u")), "an empty resources: {} as a typed client writes it")
	assert.False(t, specChanged(attributes(admission.Delete, "inferenceservices", nil, a, "", "u")), "a deletion")
}

func TestServingChangesRecordsAuthorAndCause(t *testing.T) {
	const by, cause = servingv1alpha1.ChangedByAnnotation, servingv1alpha1.ChangeCauseAnnotation
	ctx := logicalcluster.WithCluster(context.Background(), "team-a")
	admit := func(op admission.Operation, obj, old *unstructured.Unstructured, subresource string) map[string]string {
		t.Helper()
		var oldObj runtime.Object
		if old != nil {
			oldObj = old
		}
		require.NoError(t, ServingChanges{}.Admit(ctx, attributes(op, "inferenceservices", obj, oldObj, subresource, "alice"), nil))
		return obj.GetAnnotations()
	}
	v1, v2 := ref("llama", "v1"), ref("llama", "v2")

	got := admit(admission.Create, unstructuredService(t, v1, map[string]string{by: "mallory"}), nil, "")
	assert.Equal(t, "alice", got[by], "a forged author is overwritten")
	assert.NotContains(t, got, cause)

	got = admit(admission.Create, unstructuredService(t, v1, map[string]string{cause: "promoted from root:staging"}), nil, "")
	assert.Equal(t, "promoted from root:staging", got[cause], "a cause sent with the creation is kept")

	stored := unstructuredService(t, v1, map[string]string{by: "bob", cause: "rollback to revision 1"})
	got = admit(admission.Update, unstructuredService(t, v2, map[string]string{by: "bob", cause: "rollback to revision 1"}), stored, "")
	assert.Equal(t, "alice", got[by])
	assert.NotContains(t, got, cause, "a stale cause is dropped with the next change")

	got = admit(admission.Update, unstructuredService(t, v2, map[string]string{by: "bob", cause: "rollback to revision 3"}), stored, "")
	assert.Equal(t, "rollback to revision 3", got[cause], "a new cause is kept")

	got = admit(admission.Update, unstructuredService(t, v1, map[string]string{by: "mallory", cause: "forged", "x": "y"}), stored, "")
	assert.Equal(t, map[string]string{by: "bob", cause: "rollback to revision 1", "x": "y"}, got,
		"a write that keeps the spec keeps the recorded author and cause")

	got = admit(admission.Update, unstructuredService(t, v2, map[string]string{by: "mallory"}), stored, "status")
	assert.Equal(t, "mallory", got[by], "a subresource write is left to its own strategy")
}

// TestServingRefsReadsOnlyTheRequestsWorkspace: a Model of the same name in another workspace does not count.
func TestServingRefsReadsOnlyTheRequestsWorkspace(t *testing.T) {
	reader := &workspaceModels{models: map[logicalcluster.Name][]*servingv1alpha1.Model{"team-b": {llamaModel()}}}
	refs := &ServingRefs{Reader: reader}
	ctx := logicalcluster.WithCluster(context.Background(), "team-a")
	err := refs.Validate(ctx, attributes(admission.Create, "inferenceservices", unstructuredService(t, ref("llama", "v1"), nil), nil, "", "alice"), nil)
	assert.True(t, apierrors.IsInvalid(err), "team-b's Model does not serve team-a: %v", err)
	for _, cluster := range reader.asked {
		assert.Equal(t, logicalcluster.Name("team-a"), cluster)
	}
}
