package health

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// PodHealth judges a pod and its containers; the containers (init containers first) become the Children. The
// first rule that matches wins:
//
//  1. being deleted: Progressing, Terminating;
//  2. phase Failed: Degraded, with the pod's reason (Evicted, ...) or Failed;
//  3. phase Succeeded: Degraded, Completed (a server should not exit);
//  4. phase Unknown: Unknown, NodeLost;
//  5. PodScheduled=False with reason Unschedulable: Degraded, InsufficientGPU when the scheduler's message names a
//     shortage of the GPU resource, Unschedulable otherwise; the message is the scheduler's;
//  6. a Degraded container (see ContainerHealth): Degraded, with that container's reason;
//  7. Ready=True: Healthy, Ready;
//  8. not ready for longer than the startup budget, counted from the pod's start or from when it last lost
//     readiness: Degraded, StartupTimeout;
//  9. otherwise: Progressing, with the reason of the container that is furthest from ready; Starting when every
//     container is ready but the pod is not (readiness gates); Pending when no container has a status yet.
func PodHealth(pod *corev1.Pod, opts Options) Component {
	opts = opts.withDefaults()
	since := notReadySince(pod)
	comp := Component{Kind: KindPod, Name: pod.Name, Cluster: opts.Cluster}
	for _, cs := range pod.Status.InitContainerStatuses {
		comp.Children = append(comp.Children, containerComponent(cs, true, since, opts))
	}
	for _, cs := range pod.Status.ContainerStatuses {
		comp.Children = append(comp.Children, containerComponent(cs, false, since, opts))
	}
	comp.Result = podResult(pod, comp.Children, since, opts)
	return comp
}

func containerComponent(cs corev1.ContainerStatus, init bool, since time.Time, opts Options) Component {
	return Component{Kind: KindContainer, Name: cs.Name, Cluster: opts.Cluster,
		Result: ContainerHealth(cs, init, since, opts)}
}

func podResult(pod *corev1.Pod, containers []Component, since time.Time, opts Options) Result {
	switch {
	case pod.DeletionTimestamp != nil:
		return Result{State: Progressing, Reason: ReasonTerminating, Message: "the pod is being deleted"}
	case pod.Status.Phase == corev1.PodFailed:
		reason := pod.Status.Reason
		if reason == "" {
			reason = ReasonPodFailed
		}
		return Result{State: Degraded, Reason: reason, Message: orDefault(pod.Status.Message, "the pod failed")}
	case pod.Status.Phase == corev1.PodSucceeded:
		return Result{State: Degraded, Reason: ReasonCompleted,
			Message: "the pod exited successfully, but a model server should keep running"}
	case pod.Status.Phase == corev1.PodUnknown:
		return Result{State: Unknown, Reason: ReasonNodeLost,
			Message: orDefault(pod.Status.Message, "the pod's state is unknown; its node may have stopped reporting")}
	}
	if c := podCondition(pod, corev1.PodScheduled); c != nil && c.Status == corev1.ConditionFalse &&
		c.Reason == corev1.PodReasonUnschedulable {
		if strings.Contains(c.Message, "Insufficient "+string(opts.GPUResource)) {
			return Result{State: Degraded, Reason: ReasonInsufficientGPU, Message: c.Message}
		}
		return Result{State: Degraded, Reason: ReasonUnschedulable, Message: c.Message}
	}
	var furthest *Component // the container furthest from ready: the worst, first in order on ties
	for i := range containers {
		if furthest == nil || containers[i].State.WorseThan(furthest.State) {
			furthest = &containers[i]
		}
	}
	if furthest != nil && furthest.State == Degraded {
		return Result{State: Degraded, Reason: furthest.Reason,
			Message: fmt.Sprintf("container %s: %s", furthest.Name, furthest.Message)}
	}
	if c := podCondition(pod, corev1.PodReady); c != nil && c.Status == corev1.ConditionTrue {
		return Result{State: Healthy, Reason: ReasonReady, Message: "all containers are ready"}
	}
	if timedOut, elapsed := startupExceeded(since, opts); timedOut {
		return Result{State: Degraded, Reason: ReasonStartupTimeout, Message: fmt.Sprintf(
			"not ready after %s; the startup budget is %s", elapsed.Round(time.Second), opts.StartupBudget)}
	}
	if furthest != nil && furthest.State != Healthy {
		return Result{State: Progressing, Reason: furthest.Reason,
			Message: fmt.Sprintf("container %s: %s", furthest.Name, furthest.Message)}
	}
	if pod.Spec.NodeName == "" {
		return Result{State: Progressing, Reason: ReasonPending, Message: "waiting to be scheduled"}
	}
	if len(containers) > 0 {
		return Result{State: Progressing, Reason: ReasonStarting,
			Message: "the containers are ready, the pod is not yet (readiness gates)"}
	}
	return Result{State: Progressing, Reason: ReasonPending, Message: "waiting for the containers to start"}
}

// ContainerHealth judges one container from its status. init says it is an init container, whose successful exit
// is its purpose. since is when the pod started or last lost readiness (zero if unknown); a running container's
// startup budget counts from the later of that and its own start. The first rule that matches wins:
//
//  1. killed for memory (its current or last termination is OOMKilled) and not ready: Degraded, OOMKilled. This
//     comes before CrashLoopBackOff because it is the cause of the loop;
//  2. waiting with CrashLoopBackOff, ImagePullBackOff, ErrImagePull, InvalidImageName, CreateContainerConfigError,
//     CreateContainerError or RunContainerError: Degraded with that reason;
//  3. waiting for another reason (ContainerCreating, PodInitializing): Progressing with that reason;
//  4. terminated: an init container that exited 0 is Healthy, Completed; any other is Degraded, with the
//     termination's reason;
//  5. running and ready: Healthy, Ready;
//  6. running, not ready, past the startup budget: Degraded, StartupTimeout; within it: Progressing, Starting;
//  7. no state reported yet: Progressing, Pending.
func ContainerHealth(cs corev1.ContainerStatus, init bool, since time.Time, opts Options) Result {
	opts = opts.withDefaults()
	st := cs.State
	if !cs.Ready {
		if t := oomKilled(cs); t != nil {
			return Result{State: Degraded, Reason: ReasonOOMKilled, Message: fmt.Sprintf(
				"killed for exceeding its memory limit (exit code %d, %d restart(s))", t.ExitCode, cs.RestartCount)}
		}
	}
	switch {
	case st.Waiting != nil:
		reason := orDefault(st.Waiting.Reason, ReasonPending)
		if !degradedWaitingReasons[reason] {
			return Result{State: Progressing, Reason: reason, Message: orDefault(st.Waiting.Message, "waiting to start")}
		}
		msg := orDefault(st.Waiting.Message, strings.ToLower(reason))
		if t := cs.LastTerminationState.Terminated; t != nil && reason == ReasonCrashLoopBackOff {
			msg = fmt.Sprintf("%s; last exit code %d (%s), %d restart(s)", msg, t.ExitCode,
				orDefault(t.Reason, "Error"), cs.RestartCount)
		}
		return Result{State: Degraded, Reason: reason, Message: msg}
	case st.Terminated != nil:
		t := st.Terminated
		if init && t.ExitCode == 0 {
			return Result{State: Healthy, Reason: ReasonCompleted, Message: "the init container completed"}
		}
		reason := orDefault(t.Reason, "Error")
		return Result{State: Degraded, Reason: reason, Message: fmt.Sprintf(
			"exited with code %d%s", t.ExitCode, prefixed(": ", t.Message))}
	case st.Running != nil:
		if cs.Ready {
			return Result{State: Healthy, Reason: ReasonReady, Message: "running and ready"}
		}
		start := st.Running.StartedAt.Time
		if since.After(start) {
			start = since
		}
		if timedOut, elapsed := startupExceeded(start, opts); timedOut {
			return Result{State: Degraded, Reason: ReasonStartupTimeout, Message: fmt.Sprintf(
				"running but not ready after %s; the startup budget is %s", elapsed.Round(time.Second),
				opts.StartupBudget)}
		}
		return Result{State: Progressing, Reason: ReasonStarting, Message: "running, not ready yet"}
	}
	return Result{State: Progressing, Reason: ReasonPending, Message: "waiting to start"}
}

// oomKilled returns the container's current or last termination when the kernel killed it for memory.
func oomKilled(cs corev1.ContainerStatus) *corev1.ContainerStateTerminated {
	for _, t := range []*corev1.ContainerStateTerminated{cs.State.Terminated, cs.LastTerminationState.Terminated} {
		if t != nil && t.Reason == ReasonOOMKilled {
			return t
		}
	}
	return nil
}

// notReadySince returns when the pod's wait for readiness began: its start (or creation when it has not started),
// or the moment its Ready condition last turned false, whichever is later. Zero when the pod carries no time.
func notReadySince(pod *corev1.Pod) time.Time {
	since := pod.CreationTimestamp.Time
	if pod.Status.StartTime != nil {
		since = pod.Status.StartTime.Time
	}
	if c := podCondition(pod, corev1.PodReady); c != nil && c.Status != corev1.ConditionTrue &&
		c.LastTransitionTime.After(since) {
		since = c.LastTransitionTime.Time
	}
	return since
}

// startupExceeded reports whether more than the startup budget has passed since start, and how much time has.
// An unknown start never exceeds it.
func startupExceeded(start time.Time, opts Options) (bool, time.Duration) {
	if start.IsZero() {
		return false, 0
	}
	elapsed := opts.Clock.Since(start)
	return elapsed > opts.StartupBudget, elapsed
}

func podCondition(pod *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
