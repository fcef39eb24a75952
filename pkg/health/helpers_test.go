package health

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
)

// t0 is when the test pods start; the fake clock stands a little after it.
var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

const testBudget = 5 * time.Minute

// optsAt returns Options with a five-minute budget and a clock that stands elapsed after t0.
func optsAt(elapsed time.Duration) Options {
	return Options{Cluster: "gpu-east", StartupBudget: testBudget,
		Clock: clocktesting.NewFakePassiveClock(t0.Add(elapsed))}
}

// deployment returns a Deployment that asks for replicas and whose controller has caught up, with the given
// updated and available counts.
func deployment(replicas, updated, available int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "infer", Generation: 2},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: updated, UpdatedReplicas: updated,
			ReadyReplicas: available, AvailableReplicas: available},
	}
}

func withDeploymentCondition(d *appsv1.Deployment, t appsv1.DeploymentConditionType, s corev1.ConditionStatus,
	reason, msg string) *appsv1.Deployment {
	d.Status.Conditions = append(d.Status.Conditions, appsv1.DeploymentCondition{Type: t, Status: s, Reason: reason,
		Message: msg})
	return d
}

// pod returns a scheduled, started pod named name with the given container statuses; ready sets its Ready
// condition.
func pod(name string, ready bool, containers ...corev1.ContainerStatus) corev1.Pod {
	readyStatus := corev1.ConditionFalse
	if ready {
		readyStatus = corev1.ConditionTrue
	}
	start := metav1.NewTime(t0)
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0.Add(-time.Second))},
		Spec:       corev1.PodSpec{NodeName: "gpu-0"},
		Status: corev1.PodStatus{
			Phase:     corev1.PodRunning,
			StartTime: &start,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue},
				{Type: corev1.PodReady, Status: readyStatus, LastTransitionTime: start},
			},
			ContainerStatuses: containers,
		},
	}
}

func running(name string, ready bool) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Ready: ready, State: corev1.ContainerState{
		Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(t0)}}}
}

func waiting(name, reason, msg string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{
		Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}
}

func lastTerminated(cs corev1.ContainerStatus, reason string, code int32, restarts int32) corev1.ContainerStatus {
	cs.RestartCount = restarts
	cs.LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		Reason: reason, ExitCode: code}}
	return cs
}

func unschedulable(name, msg string) corev1.Pod {
	return corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0)},
		Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
			Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
			Message: msg}}},
	}
}
