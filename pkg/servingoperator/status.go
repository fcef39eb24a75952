package servingoperator

import (
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/health"
	"github.com/gantry-dev/gantry/pkg/servingresolve"
)

// ReasonApplyFailed is the health reason of a service whose Deployment, Service or ConfigMap could not be applied.
const ReasonApplyFailed = "ApplyFailed"

// baseStatus starts a service's new status from what every status has: the generation it describes, the revision
// the history controller recorded and the conditions written before (so that unchanged ones keep their
// lastTransitionTime).
func baseStatus(isvc *servingv1alpha1.InferenceService) servingv1alpha1.InferenceServiceStatus {
	st := servingv1alpha1.InferenceServiceStatus{ObservedGeneration: isvc.Generation}
	if rev, err := strconv.ParseInt(isvc.Annotations[RevisionAnnotation], 10, 64); err == nil && rev > 0 {
		st.Revision = rev
	}
	for _, c := range isvc.Status.Conditions {
		st.Conditions = append(st.Conditions, *c.DeepCopy())
	}
	return st
}

// unresolvedStatus is the status of a service whose spec cannot be served: InvalidSpec, with the resolution's
// reason and message as the last failure and as a Degraded health.
func unresolvedStatus(isvc *servingv1alpha1.InferenceService, invalid *servingresolve.Error, now metav1.Time) servingv1alpha1.InferenceServiceStatus {
	st := baseStatus(isvc)
	msg := invalid.Error()
	st.Health = servingv1alpha1.Health{State: servingv1alpha1.HealthDegraded, Reason: invalid.Reason, Message: msg}
	st.ModelStatus = servingv1alpha1.ModelStatus{TransitionStatus: servingv1alpha1.TransitionInvalidSpec,
		LastFailureInfo: failureInfo(isvc, invalid.Reason, msg, now)}
	setConditions(&st, isvc.Generation, false, invalid.Reason, msg)
	return st
}

// applyFailedStatus is the status of a resolved service whose objects could not be applied.
func applyFailedStatus(isvc *servingv1alpha1.InferenceService, resolution *servingresolve.Resolution, err error) servingv1alpha1.InferenceServiceStatus {
	st := baseStatus(isvc)
	setResolved(&st, resolution)
	st.Health = servingv1alpha1.Health{State: servingv1alpha1.HealthDegraded, Reason: ReasonApplyFailed,
		Message: err.Error()}
	st.ModelStatus = servingv1alpha1.ModelStatus{TransitionStatus: servingv1alpha1.TransitionInProgress}
	setConditions(&st, isvc.Generation, false, ReasonApplyFailed, err.Error())
	return st
}

// observation is what the operator saw of a resolved service's objects.
type observation struct {
	deployment *appsv1.Deployment
	tree       health.Component
	result     health.Result
	url        string
}

// resolvedStatus is the status of a service whose objects were applied: its health and components from the
// observation, its replicas, its model status and conditions.
func resolvedStatus(isvc *servingv1alpha1.InferenceService, resolution *servingresolve.Resolution, obs observation,
	now metav1.Time) servingv1alpha1.InferenceServiceStatus {
	st := baseStatus(isvc)
	setResolved(&st, resolution)
	st.URL = obs.url
	st.Health = toHealth(obs.result)
	st.Components = []servingv1alpha1.ComponentHealth{toComponent(obs.tree)}
	setReplicas(&st, obs.deployment)
	st.ModelStatus = modelStatus(isvc, obs, now)
	healthy := obs.result.State == health.Healthy
	reason, msg := obs.result.Reason, obs.result.Message
	setConditions(&st, isvc.Generation, healthy, reason, msg)
	return st
}

// setResolved records the model the spec resolved to.
func setResolved(st *servingv1alpha1.InferenceServiceStatus, resolution *servingresolve.Resolution) {
	st.ResolvedModel = resolution.Model.DeepCopy()
	st.Model = servingresolve.Label(resolution.Model)
}

// setReplicas counts the Deployment's desired and ready replicas.
func setReplicas(st *servingv1alpha1.InferenceServiceStatus, deployment *appsv1.Deployment) {
	if deployment != nil {
		st.Replicas = 1
		if deployment.Spec.Replicas != nil {
			st.Replicas = *deployment.Spec.Replicas
		}
		st.ReadyReplicas = deployment.Status.ReadyReplicas
	}
	st.Ready = fmt.Sprintf("%d/%d", st.ReadyReplicas, st.Replicas)
}

// modelStatus says where the service is in loading its model: UpToDate when Healthy, BlockedByFailedLoad when a
// pod is Degraded (the last failure says why), InProgress otherwise.
func modelStatus(isvc *servingv1alpha1.InferenceService, obs observation, now metav1.Time) servingv1alpha1.ModelStatus {
	switch {
	case obs.result.State == health.Healthy:
		return servingv1alpha1.ModelStatus{TransitionStatus: servingv1alpha1.TransitionUpToDate}
	case obs.result.State == health.Degraded && hasDegradedPod(obs.tree):
		return servingv1alpha1.ModelStatus{TransitionStatus: servingv1alpha1.TransitionBlockedByFailedLoad,
			LastFailureInfo: failureInfo(isvc, obs.result.Reason, obs.result.Message, now)}
	default:
		return servingv1alpha1.ModelStatus{TransitionStatus: servingv1alpha1.TransitionInProgress}
	}
}

// hasDegradedPod reports whether a pod of the tree is Degraded.
func hasDegradedPod(tree health.Component) bool {
	for _, pod := range tree.Children {
		if pod.State == health.Degraded {
			return true
		}
	}
	return false
}

// failureInfo is a last failure; it keeps the time of the one written before when nothing else changed, so that
// an unchanged failure does not rewrite the status.
func failureInfo(isvc *servingv1alpha1.InferenceService, reason, message string, now metav1.Time) *servingv1alpha1.FailureInfo {
	if old := isvc.Status.ModelStatus.LastFailureInfo; old != nil && old.Reason == reason && old.Message == message &&
		old.Time != nil {
		return old.DeepCopy()
	}
	return &servingv1alpha1.FailureInfo{Reason: reason, Message: message, Time: &now}
}

// setConditions sets PredictorReady and Ready. Both follow the predictor: the Service is applied with the
// Deployment, so the service answers at its URL exactly when its replicas are ready.
func setConditions(st *servingv1alpha1.InferenceServiceStatus, generation int64, ready bool, reason, message string) {
	cond := metav1.Condition{Status: metav1.ConditionFalse, Reason: reason, Message: message,
		ObservedGeneration: generation}
	if ready {
		cond.Status = metav1.ConditionTrue
	}
	if cond.Reason == "" {
		cond.Reason = "Unknown"
	}
	for _, t := range []string{servingv1alpha1.ConditionPredictorReady, servingv1alpha1.ConditionReady} {
		cond.Type = t
		meta.SetStatusCondition(&st.Conditions, cond)
	}
}

// toHealth maps a health.Result into the API's Health.
func toHealth(r health.Result) servingv1alpha1.Health {
	return servingv1alpha1.Health{State: servingv1alpha1.HealthState(r.State), Reason: r.Reason, Message: r.Message}
}

// toComponent maps an Evaluate tree, Deployment > pods > containers, into status.components.
func toComponent(tree health.Component) servingv1alpha1.ComponentHealth {
	out := servingv1alpha1.ComponentHealth{Kind: tree.Kind, Name: tree.Name, Cluster: tree.Cluster,
		Health: toHealth(tree.Result)}
	for _, pod := range tree.Children {
		child := servingv1alpha1.ChildHealth{Kind: pod.Kind, Name: pod.Name, Health: toHealth(pod.Result)}
		for _, c := range pod.Children {
			child.Children = append(child.Children, servingv1alpha1.LeafHealth{Kind: c.Kind, Name: c.Name,
				Health: toHealth(c.Result)})
		}
		out.Children = append(out.Children, child)
	}
	return out
}
