package health

import (
	"testing"

	"github.com/stretchr/testify/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestDeploymentHealth(t *testing.T) {
	paused := deployment(2, 2, 2)
	paused.Spec.Paused = true
	unobserved := deployment(2, 2, 2)
	unobserved.Generation = 3
	defaultReplicas := deployment(1, 1, 1)
	defaultReplicas.Spec.Replicas = nil
	oldLeft := deployment(2, 2, 2)
	oldLeft.Status.Replicas = 3
	scalingDown := deployment(0, 0, 0)
	scalingDown.Status.Replicas = 1

	tests := []struct {
		name        string
		d           *appsv1.Deployment
		want        State
		reason      string
		msgContains string
	}{
		{"missing", nil, Missing, ReasonNotFound, "does not exist"},
		{"available", withDeploymentCondition(deployment(2, 2, 2), appsv1.DeploymentAvailable,
			corev1.ConditionTrue, "MinimumReplicasAvailable", ""), Healthy, ReasonAvailable, "2 of 2"},
		{"unset replicas default to one", defaultReplicas, Healthy, ReasonAvailable, "1 of 1"},
		{"progress deadline exceeded", withDeploymentCondition(deployment(2, 2, 0), appsv1.DeploymentProgressing,
			corev1.ConditionFalse, "ProgressDeadlineExceeded", `ReplicaSet "infer-1" has timed out progressing.`),
			Degraded, ReasonProgressDeadlineExceeded, "timed out progressing"},
		{"progressing true with the same reason is not a failure", withDeploymentCondition(deployment(2, 2, 2),
			appsv1.DeploymentProgressing, corev1.ConditionTrue, "NewReplicaSetAvailable", ""), Healthy,
			ReasonAvailable, ""},
		{"replica failure", withDeploymentCondition(deployment(2, 0, 0), appsv1.DeploymentReplicaFailure,
			corev1.ConditionTrue, "FailedCreate", "pods is forbidden: exceeded quota"), Degraded,
			ReasonReplicaFailure, "FailedCreate: pods is forbidden: exceeded quota"},
		{"replica failure cleared", withDeploymentCondition(deployment(2, 2, 2), appsv1.DeploymentReplicaFailure,
			corev1.ConditionFalse, "FailedCreate", ""), Healthy, ReasonAvailable, ""},
		{"generation not observed", unobserved, Progressing, ReasonGenerationNotObserved, "generation 3"},
		{"scaled to zero", deployment(0, 0, 0), Suspended, ReasonScaledToZero, "zero"},
		{"scaling down to zero", scalingDown, Progressing, ReasonScalingDown, "1 replica(s) still terminating"},
		{"paused wins over everything else", paused, Suspended, ReasonPaused, "paused"},
		{"updated below desired", deployment(3, 1, 1), Progressing, ReasonRollingOut, "1 of 3 replica(s) updated"},
		{"old replicas left", oldLeft, Progressing, ReasonRollingOut, "1 old replica(s)"},
		{"available below desired", deployment(3, 3, 2), Progressing, ReasonReplicasUnavailable,
			"2 of 3 replica(s) available"},
		{"deadline beats replicas below desired", withDeploymentCondition(deployment(3, 1, 0),
			appsv1.DeploymentProgressing, corev1.ConditionFalse, "ProgressDeadlineExceeded", "timed out"),
			Degraded, ReasonProgressDeadlineExceeded, "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DeploymentHealth(tt.d)
			assert.Equal(t, tt.want, got.State)
			assert.Equal(t, tt.reason, got.Reason)
			assert.Contains(t, got.Message, tt.msgContains)
		})
	}
}
