package health

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// DeploymentHealth judges a Deployment on its own, without its pods. The first rule that matches wins:
//
//  1. no Deployment: Missing, NotFound;
//  2. spec.paused: Suspended, Paused;
//  3. condition Progressing=False with reason ProgressDeadlineExceeded: Degraded, ProgressDeadlineExceeded;
//  4. condition ReplicaFailure=True: Degraded, ReplicaFailure, with the condition's message;
//  5. status.observedGeneration < metadata.generation: Progressing, GenerationNotObserved;
//  6. spec.replicas = 0: Suspended, ScaledToZero (Progressing, ScalingDown, while pods remain);
//  7. updated replicas below desired, or old replicas still present: Progressing, RollingOut;
//  8. available replicas below desired: Progressing, ReplicasUnavailable;
//  9. otherwise: Healthy, Available.
func DeploymentHealth(d *appsv1.Deployment) Result {
	if d == nil {
		return Result{State: Missing, Reason: ReasonNotFound, Message: "the Deployment does not exist"}
	}
	if d.Spec.Paused {
		return Result{State: Suspended, Reason: ReasonPaused, Message: "the rollout is paused"}
	}
	if c := deploymentCondition(d, appsv1.DeploymentProgressing); c != nil && c.Status == corev1.ConditionFalse &&
		c.Reason == ReasonProgressDeadlineExceeded {
		return Result{State: Degraded, Reason: ReasonProgressDeadlineExceeded, Message: c.Message}
	}
	if c := deploymentCondition(d, appsv1.DeploymentReplicaFailure); c != nil && c.Status == corev1.ConditionTrue {
		msg := c.Message
		if c.Reason != "" {
			msg = c.Reason + ": " + msg
		}
		return Result{State: Degraded, Reason: ReasonReplicaFailure, Message: msg}
	}
	if d.Status.ObservedGeneration < d.Generation {
		return Result{State: Progressing, Reason: ReasonGenerationNotObserved, Message: fmt.Sprintf(
			"waiting for the Deployment controller to observe generation %d (it has seen %d)",
			d.Generation, d.Status.ObservedGeneration)}
	}
	desired := int32(1) // the API server's default for an unset spec.replicas
	if d.Spec.Replicas != nil {
		desired = *d.Spec.Replicas
	}
	st := d.Status
	if desired == 0 {
		if st.Replicas > 0 {
			return Result{State: Progressing, Reason: ReasonScalingDown, Message: fmt.Sprintf(
				"scaled to zero; %d replica(s) still terminating", st.Replicas)}
		}
		return Result{State: Suspended, Reason: ReasonScaledToZero, Message: "scaled to zero replicas"}
	}
	if st.UpdatedReplicas < desired {
		return Result{State: Progressing, Reason: ReasonRollingOut, Message: fmt.Sprintf(
			"%d of %d replica(s) updated", st.UpdatedReplicas, desired)}
	}
	if st.Replicas > st.UpdatedReplicas {
		return Result{State: Progressing, Reason: ReasonRollingOut, Message: fmt.Sprintf(
			"%d old replica(s) pending termination", st.Replicas-st.UpdatedReplicas)}
	}
	if st.AvailableReplicas < desired {
		return Result{State: Progressing, Reason: ReasonReplicasUnavailable, Message: fmt.Sprintf(
			"%d of %d replica(s) available", st.AvailableReplicas, desired)}
	}
	return Result{State: Healthy, Reason: ReasonAvailable, Message: fmt.Sprintf(
		"%d of %d replica(s) available", st.AvailableReplicas, desired)}
}

func deploymentCondition(d *appsv1.Deployment, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == t {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}
