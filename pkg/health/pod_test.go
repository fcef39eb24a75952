package health

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const gpuMessage = "0/1 nodes are available: 1 Insufficient nvidia.com/gpu. preemption: 0/1 nodes are available: " +
	"1 No preemption victims found for incoming pod."

func TestPodHealth(t *testing.T) {
	deleting := pod("p", true, running("server", true))
	deleting.DeletionTimestamp = &metav1.Time{Time: t0}
	evicted := pod("p", false)
	evicted.Status.Phase, evicted.Status.Reason, evicted.Status.Message = corev1.PodFailed, "Evicted",
		"The node was low on resource: memory."
	failed := pod("p", false)
	failed.Status.Phase = corev1.PodFailed
	succeeded := pod("p", false)
	succeeded.Status.Phase = corev1.PodSucceeded
	lost := pod("p", false, running("server", true))
	lost.Status.Phase = corev1.PodUnknown
	unscheduledYet := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", CreationTimestamp: metav1.NewTime(t0)},
		Status: corev1.PodStatus{Phase: corev1.PodPending}}
	noStatuses := pod("p", false)
	lostReadiness := pod("p", false, running("server", false))
	lostReadiness.Status.Conditions[1].LastTransitionTime = metav1.NewTime(t0.Add(10 * time.Minute))
	initCrash := pod("p", false, waiting("server", "PodInitializing", ""))
	initCrash.Status.InitContainerStatuses = []corev1.ContainerStatus{lastTerminated(
		waiting("fetch-model", ReasonCrashLoopBackOff, "back-off 20s restarting failed container"), "Error", 1, 2)}

	tests := []struct {
		name        string
		pod         corev1.Pod
		elapsed     time.Duration
		want        State
		reason      string
		msgContains string
	}{
		{"ready", pod("p", true, running("server", true)), time.Minute, Healthy, ReasonReady, ""},
		{"terminating", deleting, time.Minute, Progressing, ReasonTerminating, "deleted"},
		{"evicted", evicted, time.Minute, Degraded, "Evicted", "low on resource"},
		{"failed without a reason", failed, time.Minute, Degraded, ReasonPodFailed, "failed"},
		{"succeeded", succeeded, time.Minute, Degraded, ReasonCompleted, "keep running"},
		{"node lost", lost, time.Minute, Unknown, ReasonNodeLost, "unknown"},
		{"unschedulable for GPUs", unschedulable("p", gpuMessage), time.Second, Degraded, ReasonInsufficientGPU,
			gpuMessage},
		{"unschedulable otherwise", unschedulable("p", "0/1 nodes are available: 1 node(s) didn't match Pod's "+
			"node affinity/selector."), time.Second, Degraded, ReasonUnschedulable, "node affinity"},
		{"not scheduled yet", unscheduledYet, time.Second, Progressing, ReasonPending, "scheduled"},
		{"never scheduled within the budget", unscheduledYet, 6 * time.Minute, Degraded, ReasonStartupTimeout,
			"not ready after 6m0s; the startup budget is 5m0s"},
		{"containers ready, pod not ready yet", pod("p", false, running("server", true)), time.Minute, Progressing,
			ReasonStarting, "readiness gates"},
		{"scheduled, no container status yet", noStatuses, time.Second, Progressing, ReasonPending, "containers"},
		{"crash loop", pod("p", false, lastTerminated(waiting("server", ReasonCrashLoopBackOff,
			"back-off 10s restarting failed container=server"), "Error", 1, 3)), time.Minute, Degraded,
			ReasonCrashLoopBackOff, "container server: back-off 10s"},
		{"image pull back-off", pod("p", false, waiting("server", ReasonImagePullBackOff,
			`Back-off pulling image "example.invalid/x:1"`)), time.Minute, Degraded, ReasonImagePullBackOff,
			"Back-off pulling image"},
		{"image pull error", pod("p", false, waiting("server", ReasonErrImagePull, "not found")), time.Minute,
			Degraded, ReasonErrImagePull, "container server: not found"},
		{"OOM killed, running again but not ready", pod("p", false, lastTerminated(running("server", false),
			ReasonOOMKilled, 137, 1)), time.Minute, Degraded, ReasonOOMKilled, "exit code 137"},
		{"OOM killed and crash looping: the cause wins", pod("p", false, lastTerminated(waiting("server",
			ReasonCrashLoopBackOff, "back-off"), ReasonOOMKilled, 137, 4)), time.Minute, Degraded, ReasonOOMKilled,
			"4 restart(s)"},
		{"OOM killed once, ready again", pod("p", true, lastTerminated(running("server", true), ReasonOOMKilled,
			137, 1)), time.Minute, Healthy, ReasonReady, ""},
		{"creating containers", pod("p", false, waiting("server", "ContainerCreating", "")), time.Minute,
			Progressing, "ContainerCreating", "container server"},
		{"starting within the budget", pod("p", false, running("server", false)), 4 * time.Minute, Progressing,
			ReasonStarting, "not ready yet"},
		{"not ready past the budget", pod("p", false, running("server", false)), 6 * time.Minute, Degraded,
			ReasonStartupTimeout, "not ready after 6m0s"},
		{"one container of two not ready past the budget", pod("p", false, running("server", false),
			running("sidecar", true)), 6 * time.Minute, Degraded, ReasonStartupTimeout, "container server"},
		{"lost readiness later: the budget counts from then", lostReadiness, 12 * time.Minute, Progressing,
			ReasonStarting, ""},
		{"lost readiness later, past the budget", lostReadiness, 16 * time.Minute, Degraded,
			ReasonStartupTimeout, "not ready after 6m0s"},
		{"init container crash loop", initCrash, time.Minute, Degraded, ReasonCrashLoopBackOff,
			"container fetch-model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PodHealth(&tt.pod, optsAt(tt.elapsed))
			assert.Equal(t, KindPod, got.Kind)
			assert.Equal(t, "p", got.Name)
			assert.Equal(t, "gpu-east", got.Cluster)
			assert.Equal(t, tt.want, got.State, got.Message)
			assert.Equal(t, tt.reason, got.Reason)
			assert.Contains(t, got.Message, tt.msgContains)
			assert.Len(t, got.Children, len(tt.pod.Status.InitContainerStatuses)+len(tt.pod.Status.ContainerStatuses))
		})
	}
}

func TestContainerHealth(t *testing.T) {
	completedInit := corev1.ContainerStatus{Name: "fetch", State: corev1.ContainerState{
		Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}}
	exited := corev1.ContainerStatus{Name: "server", State: corev1.ContainerState{
		Terminated: &corev1.ContainerStateTerminated{ExitCode: 2, Reason: "Error", Message: "bad flag"}}}
	oomNow := corev1.ContainerStatus{Name: "server", State: corev1.ContainerState{
		Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: ReasonOOMKilled}}}
	lateStart := running("server", false)
	lateStart.State.Running.StartedAt = metav1.NewTime(t0.Add(3 * time.Minute))

	tests := []struct {
		name        string
		cs          corev1.ContainerStatus
		init        bool
		elapsed     time.Duration
		want        State
		reason      string
		msgContains string
	}{
		{"ready", running("server", true), false, time.Hour, Healthy, ReasonReady, ""},
		{"crash loop with last exit", lastTerminated(waiting("server", ReasonCrashLoopBackOff, "back-off 40s"),
			"Error", 3, 5), false, 0, Degraded, ReasonCrashLoopBackOff, "last exit code 3 (Error), 5 restart(s)"},
		{"crash loop without a message", waiting("server", ReasonCrashLoopBackOff, ""), false, 0, Degraded,
			ReasonCrashLoopBackOff, "crashloopbackoff"},
		{"image pull back-off", waiting("server", ReasonImagePullBackOff, "back-off"), false, 0, Degraded,
			ReasonImagePullBackOff, "back-off"},
		{"err image pull", waiting("server", ReasonErrImagePull, "denied"), false, 0, Degraded, ReasonErrImagePull,
			"denied"},
		{"invalid image name", waiting("server", "InvalidImageName", "bad"), false, 0, Degraded, "InvalidImageName",
			"bad"},
		{"config error", waiting("server", "CreateContainerConfigError", `secret "x" not found`), false, 0,
			Degraded, "CreateContainerConfigError", "not found"},
		{"container creating", waiting("server", "ContainerCreating", ""), false, 0, Progressing,
			"ContainerCreating", "waiting"},
		{"waiting without a reason", waiting("server", "", ""), false, 0, Progressing, ReasonPending, ""},
		{"OOM killed now", oomNow, false, 0, Degraded, ReasonOOMKilled, "exit code 137"},
		{"OOM killed last time", lastTerminated(running("server", false), ReasonOOMKilled, 137, 2), false, 0,
			Degraded, ReasonOOMKilled, "2 restart(s)"},
		{"exited with an error", exited, false, 0, Degraded, "Error", "exited with code 2: bad flag"},
		{"init container completed", completedInit, true, 0, Healthy, ReasonCompleted, "completed"},
		{"server container completed", completedInit, false, 0, Degraded, ReasonCompleted, "code 0"},
		{"starting", running("server", false), false, 5 * time.Minute, Progressing, ReasonStarting, ""},
		{"startup timeout", running("server", false), false, 5*time.Minute + time.Second, Degraded,
			ReasonStartupTimeout, "5m1s"},
		{"a restart resets the budget", lateStart, false, 7 * time.Minute, Progressing, ReasonStarting, ""},
		{"no state yet", corev1.ContainerStatus{Name: "server"}, false, 0, Progressing, ReasonPending, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ContainerHealth(tt.cs, tt.init, t0, optsAt(tt.elapsed))
			assert.Equal(t, tt.want, got.State, got.Message)
			assert.Equal(t, tt.reason, got.Reason)
			assert.Contains(t, got.Message, tt.msgContains)
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	assert.Equal(t, DefaultStartupBudget, o.StartupBudget)
	assert.Equal(t, DefaultGPUResource, o.GPUResource)
	assert.NotNil(t, o.Clock)

	// Another GPU resource name is honoured.
	amd := unschedulable("p", "0/1 nodes are available: 1 Insufficient amd.com/gpu.")
	opts := optsAt(0)
	assert.Equal(t, ReasonUnschedulable, PodHealth(&amd, opts).Reason)
	opts.GPUResource = "amd.com/gpu"
	assert.Equal(t, ReasonInsufficientGPU, PodHealth(&amd, opts).Reason)
}
