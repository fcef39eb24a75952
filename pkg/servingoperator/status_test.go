package servingoperator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/health"
	"github.com/gantry-dev/gantry/pkg/servingresolve"
)

var (
	t0 = metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t1 = metav1.NewTime(t0.Add(time.Minute))
)

func resolution() *servingresolve.Resolution {
	return &servingresolve.Resolution{
		Model:   &servingv1alpha1.ResolvedModel{Name: "llama", Version: "v2", StorageURI: "s3://m/v2", Format: "safetensors"},
		Runtime: &servingv1alpha1.ServingRuntime{ObjectMeta: metav1.ObjectMeta{Name: "vllm"}},
	}
}

func withGeneration(gen int64) *servingv1alpha1.InferenceService {
	isvc := llmService(1)
	isvc.Generation = gen
	return isvc
}

func TestUnresolvedStatus(t *testing.T) {
	isvc := withGeneration(4)
	isvc.Annotations = map[string]string{RevisionAnnotation: "12"}
	invalid := &servingresolve.Error{Reason: servingresolve.ReasonVersionNotFound,
		Field: field.NewPath("spec", "predictor", "model", "modelRef", "version"), Message: `Model "llama" has no version "v9"`}
	st := unresolvedStatus(isvc, invalid, t0)
	assert.Equal(t, servingv1alpha1.HealthDegraded, st.Health.State)
	assert.Equal(t, "VersionNotFound", st.Health.Reason)
	assert.Contains(t, st.Health.Message, `spec.predictor.model.modelRef.version: Model "llama" has no version "v9"`)
	assert.Equal(t, servingv1alpha1.TransitionInvalidSpec, st.ModelStatus.TransitionStatus)
	assert.Equal(t, &servingv1alpha1.FailureInfo{Reason: "VersionNotFound", Message: st.Health.Message, Time: &t0},
		st.ModelStatus.LastFailureInfo)
	assert.Equal(t, int64(4), st.ObservedGeneration)
	assert.Equal(t, int64(12), st.Revision)
	assert.Nil(t, st.ResolvedModel)
	for _, c := range []string{servingv1alpha1.ConditionPredictorReady, servingv1alpha1.ConditionReady} {
		cond := meta.FindStatusCondition(st.Conditions, c)
		require.NotNil(t, cond, c)
		assert.Equal(t, metav1.ConditionFalse, cond.Status)
		assert.Equal(t, "VersionNotFound", cond.Reason)
		assert.Equal(t, int64(4), cond.ObservedGeneration)
	}

	// The same failure later keeps its time, so that the status does not change.
	isvc.Status = st
	again := unresolvedStatus(isvc, invalid, t1)
	assert.Equal(t, &t0, again.ModelStatus.LastFailureInfo.Time)
	assert.Equal(t, st, again)
}

func TestRevisionAnnotation(t *testing.T) {
	for value, want := range map[string]int64{"": 0, "3": 3, "x": 0, "-1": 0} {
		isvc := withGeneration(1)
		isvc.Annotations = map[string]string{RevisionAnnotation: value}
		assert.Equal(t, want, baseStatus(isvc).Revision, "annotation %q", value)
	}
}

// tree is a Deployment with one pod in result, and the Deployment's own result.
func tree(deployment, pod health.Result) health.Component {
	return health.Component{Kind: health.KindDeployment, Name: "chat-predictor", Result: deployment,
		Children: []health.Component{{Kind: health.KindPod, Name: "chat-predictor-abc", Result: pod,
			Children: []health.Component{{Kind: health.KindContainer, Name: ServerContainer, Result: pod}}}}}
}

func TestResolvedStatus(t *testing.T) {
	ready := health.Result{State: health.Healthy, Reason: health.ReasonReady, Message: "ready"}
	available := health.Result{State: health.Healthy, Reason: health.ReasonAvailable, Message: "1 of 1"}
	crash := health.Result{State: health.Degraded, Reason: health.ReasonCrashLoopBackOff, Message: "back-off"}
	starting := health.Result{State: health.Progressing, Reason: health.ReasonStarting, Message: "loading"}
	unavailable := health.Result{State: health.Progressing, Reason: health.ReasonReplicasUnavailable, Message: "0 of 1"}
	deadline := health.Result{State: health.Degraded, Reason: health.ReasonProgressDeadlineExceeded, Message: "stuck"}
	deployment := &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr(int32(2))},
		Status: appsv1.DeploymentStatus{ReadyReplicas: 1}}

	tests := []struct {
		name           string
		tree           health.Component
		overall        health.Result
		wantTransition servingv1alpha1.TransitionStatus
		wantFailure    string
		wantReady      metav1.ConditionStatus
	}{
		{"healthy is up to date", tree(available, ready), available, servingv1alpha1.TransitionUpToDate, "",
			metav1.ConditionTrue},
		{"a degraded pod blocks the load", tree(unavailable, crash), crash,
			servingv1alpha1.TransitionBlockedByFailedLoad, health.ReasonCrashLoopBackOff, metav1.ConditionFalse},
		{"a starting pod is in progress", tree(unavailable, starting), unavailable,
			servingv1alpha1.TransitionInProgress, "", metav1.ConditionFalse},
		{"a stuck Deployment without a failed pod is in progress", tree(deadline, starting), deadline,
			servingv1alpha1.TransitionInProgress, "", metav1.ConditionFalse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := observation{deployment: deployment, tree: tt.tree, result: tt.overall, url: "http://u"}
			st := resolvedStatus(withGeneration(2), resolution(), obs, t0)
			assert.Equal(t, tt.wantTransition, st.ModelStatus.TransitionStatus)
			if tt.wantFailure == "" {
				assert.Nil(t, st.ModelStatus.LastFailureInfo)
			} else {
				require.NotNil(t, st.ModelStatus.LastFailureInfo)
				assert.Equal(t, tt.wantFailure, st.ModelStatus.LastFailureInfo.Reason)
			}
			assert.Equal(t, servingv1alpha1.HealthState(tt.overall.State), st.Health.State)
			assert.Equal(t, tt.overall.Reason, st.Health.Reason)
			for _, c := range []string{servingv1alpha1.ConditionPredictorReady, servingv1alpha1.ConditionReady} {
				assert.Equal(t, tt.wantReady, meta.FindStatusCondition(st.Conditions, c).Status, c)
			}
			assert.Equal(t, "llama:v2", st.Model)
			assert.Equal(t, "s3://m/v2", st.ResolvedModel.StorageURI)
			assert.Equal(t, "http://u", st.URL)
			assert.Equal(t, int32(2), st.Replicas)
			assert.Equal(t, int32(1), st.ReadyReplicas)
			assert.Equal(t, "1/2", st.Ready)
			assert.Equal(t, int64(2), st.ObservedGeneration)
		})
	}
}

func TestComponentsMapping(t *testing.T) {
	crash := health.Result{State: health.Degraded, Reason: health.ReasonCrashLoopBackOff, Message: "back-off"}
	in := tree(health.Result{State: health.Progressing, Reason: "RollingOut"}, crash)
	in.Cluster = "gpu-east"
	got := toComponent(in)
	assert.Equal(t, servingv1alpha1.ComponentHealth{Kind: "Deployment", Name: "chat-predictor", Cluster: "gpu-east",
		Health: servingv1alpha1.Health{State: servingv1alpha1.HealthProgressing, Reason: "RollingOut"},
		Children: []servingv1alpha1.ChildHealth{{Kind: "Pod", Name: "chat-predictor-abc",
			Health: servingv1alpha1.Health{State: servingv1alpha1.HealthDegraded, Reason: "CrashLoopBackOff", Message: "back-off"},
			Children: []servingv1alpha1.LeafHealth{{Kind: "Container", Name: ServerContainer,
				Health: servingv1alpha1.Health{State: servingv1alpha1.HealthDegraded, Reason: "CrashLoopBackOff", Message: "back-off"}}}}}},
		got)
}

func TestMissingDeploymentCountsNoReplicas(t *testing.T) {
	obs := observation{tree: health.NotReported("", "chat-predictor"),
		result: health.Result{State: health.Missing, Reason: health.ReasonNotFound}}
	st := resolvedStatus(withGeneration(1), resolution(), obs, t0)
	assert.Equal(t, "0/0", st.Ready)
	assert.Equal(t, servingv1alpha1.TransitionInProgress, st.ModelStatus.TransitionStatus)
}

func TestConditionsKeepTheirTransitionTime(t *testing.T) {
	isvc := withGeneration(1)
	st := baseStatus(isvc)
	setConditions(&st, 1, true, "Available", "ok")
	first := meta.FindStatusCondition(st.Conditions, servingv1alpha1.ConditionReady).LastTransitionTime
	first.Time = first.Add(-time.Hour)
	meta.FindStatusCondition(st.Conditions, servingv1alpha1.ConditionReady).LastTransitionTime = first
	isvc.Status = st
	next := baseStatus(isvc)
	setConditions(&next, 1, true, "Available", "ok")
	assert.Equal(t, first, meta.FindStatusCondition(next.Conditions, servingv1alpha1.ConditionReady).LastTransitionTime)
}
