package kubecluster_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/gantry-dev/gantry/pkg/health"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

// TestFaultStagesAndHealth makes kwok fake each fault on real pods of real Deployments, checks the pods' status is
// what a kubelet reports for that fault, and feeds the real Deployments and pods through pkg/health: each fault
// yields its reason, a plain Deployment stays Healthy, and too many GPUs yield InsufficientGPU.
func TestFaultStagesAndHealth(t *testing.T) {
	c := kubecluster.Start(t)
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	require.NoError(t, err)
	ctx := t.Context()
	c.AddGPUNode(t, "gpu-0", "NVIDIA-H100-80GB-HBM3", 8)

	faults := []string{kubecluster.FaultCrashLoopBackOff, kubecluster.FaultOOMKilled,
		kubecluster.FaultImagePullBackOff, kubecluster.FaultNotReady}
	names := map[string]string{}
	for _, fault := range faults {
		d := gpuDeployment("fault-"+strings.ToLower(fault), 1, 1)
		d.Spec.Template.Annotations = map[string]string{kubecluster.FaultAnnotation: fault}
		names[fault] = d.Name
		_, err := cs.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	for _, d := range []*appsv1.Deployment{gpuDeployment("happy", 1, 1), gpuDeployment("greedy", 1, 16)} {
		_, err := cs.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{})
		require.NoError(t, err)
	}

	// Each fault's pod reaches the status the kubelet would report.
	statusOf := map[string]func(*corev1.Pod) bool{
		kubecluster.FaultCrashLoopBackOff: func(p *corev1.Pod) bool {
			s := onlyContainer(p)
			return p.Status.Phase == corev1.PodRunning && s != nil && s.RestartCount > 0 &&
				s.State.Waiting != nil && s.State.Waiting.Reason == "CrashLoopBackOff"
		},
		kubecluster.FaultOOMKilled: func(p *corev1.Pod) bool {
			s := onlyContainer(p)
			return p.Status.Phase == corev1.PodRunning && s != nil && !s.Ready && s.State.Running != nil &&
				s.LastTerminationState.Terminated != nil && s.LastTerminationState.Terminated.Reason == "OOMKilled"
		},
		kubecluster.FaultImagePullBackOff: func(p *corev1.Pod) bool {
			s := onlyContainer(p)
			return p.Status.Phase == corev1.PodPending && s != nil && s.State.Waiting != nil &&
				s.State.Waiting.Reason == "ImagePullBackOff"
		},
		kubecluster.FaultNotReady: func(p *corev1.Pod) bool {
			s := onlyContainer(p)
			ready := podCondition(p, corev1.PodReady)
			return p.Status.Phase == corev1.PodRunning && s != nil && s.State.Running != nil && !s.Ready &&
				ready != nil && ready.Status == corev1.ConditionFalse
		},
	}
	pods := map[string]corev1.Pod{}
	for _, fault := range faults {
		waitFor(t, "the "+fault+" pod's status", func() bool {
			p, ok := onlyPod(ctx, cs, names[fault])
			if ok && statusOf[fault](&p) {
				pods[fault] = p
				return true
			}
			return false
		})
	}
	waitFor(t, "the happy pod to be ready", func() bool {
		p, ok := onlyPod(ctx, cs, "happy")
		return ok && podCondition(&p, corev1.PodReady) != nil &&
			podCondition(&p, corev1.PodReady).Status == corev1.ConditionTrue
	})

	// The real objects through the real rules.
	evaluate := func(name string, opts health.Options) (health.Component, health.Result) {
		d, err := cs.AppsV1().Deployments("default").Get(ctx, name, metav1.GetOptions{})
		require.NoError(t, err)
		list, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
		require.NoError(t, err)
		return health.Evaluate(d, list.Items, opts)
	}
	opts := health.Options{Cluster: "gpu-east", StartupBudget: time.Hour}
	for fault, reason := range map[string]string{
		kubecluster.FaultCrashLoopBackOff: health.ReasonCrashLoopBackOff,
		kubecluster.FaultOOMKilled:        health.ReasonOOMKilled,
		kubecluster.FaultImagePullBackOff: health.ReasonImagePullBackOff,
	} {
		_, got := evaluate(names[fault], opts)
		assert.Equal(t, health.Degraded, got.State, "%s: %s", fault, got.Message)
		assert.Equal(t, reason, got.Reason, "%s: %s", fault, got.Message)
		assert.Contains(t, got.Message, "cluster gpu-east: pod "+pods[fault].Name+": "+reason)
	}

	// Never ready: Progressing within the startup budget, Degraded StartupTimeout after it.
	_, got := evaluate(names[kubecluster.FaultNotReady], opts)
	assert.Equal(t, health.Progressing, got.State, got.Message)
	late := opts
	late.Clock = clocktesting.NewFakePassiveClock(pods[kubecluster.FaultNotReady].Status.StartTime.Add(2 * time.Hour))
	_, got = evaluate(names[kubecluster.FaultNotReady], late)
	assert.Equal(t, health.Degraded, got.State, got.Message)
	assert.Equal(t, health.ReasonStartupTimeout, got.Reason, got.Message)

	var happy health.Component
	waitFor(t, "the happy Deployment to be Healthy", func() bool {
		var r health.Result
		happy, r = evaluate("happy", opts)
		return r.State == health.Healthy
	})
	assert.Equal(t, health.ReasonAvailable, happy.Reason)
	require.Len(t, happy.Children, 1)
	require.Len(t, happy.Children[0].Children, 1)
	assert.Equal(t, health.Healthy, happy.Children[0].Children[0].State, "the container is Healthy too")

	var greedy health.Result
	waitFor(t, "the greedy pod to be unschedulable", func() bool {
		_, greedy = evaluate("greedy", opts)
		return greedy.State == health.Degraded
	})
	assert.Equal(t, health.ReasonInsufficientGPU, greedy.Reason)
	assert.Contains(t, greedy.Message, "Insufficient nvidia.com/gpu", "the scheduler's message")

	// Across clusters, the crash-looping one is named.
	west := opts
	west.Cluster = "gpu-west"
	healthyWest, _ := evaluate("happy", west)
	crashing, _ := evaluate(names[kubecluster.FaultCrashLoopBackOff], opts)
	overall := health.Aggregate(healthyWest, crashing)
	assert.Equal(t, health.ReasonCrashLoopBackOff, overall.Reason)
	assert.Contains(t, overall.Message, "cluster gpu-east: pod "+pods[kubecluster.FaultCrashLoopBackOff].Name+
		": CrashLoopBackOff")

	// The stages also tell the story in Warning events, as the kubelet would.
	for fault, reason := range map[string]string{kubecluster.FaultCrashLoopBackOff: "BackOff",
		kubecluster.FaultImagePullBackOff: "Failed", kubecluster.FaultNotReady: "Unhealthy"} {
		name := pods[fault].Name
		waitFor(t, "a "+reason+" event for the "+fault+" pod", func() bool {
			evs, err := cs.CoreV1().Events("default").List(ctx, metav1.ListOptions{
				FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String()})
			if err != nil {
				return false
			}
			for _, e := range evs.Items {
				if e.Type == corev1.EventTypeWarning && e.Reason == reason {
					return true
				}
			}
			return false
		})
	}

	// The ImagePullBackOff stage matches again on every update of its Pending pod; it must render the same status
	// then, instead of patching the pod forever.
	p, ok := onlyPod(ctx, cs, names[kubecluster.FaultImagePullBackOff])
	require.True(t, ok)
	assert.Equal(t, pods[kubecluster.FaultImagePullBackOff].ResourceVersion, p.ResourceVersion,
		"the ImagePullBackOff pod was patched again")
}

// onlyPod returns the single pod of the Deployment named name.
func onlyPod(ctx context.Context, cs kubernetes.Interface, name string) (corev1.Pod, bool) {
	list, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
	if err != nil || len(list.Items) != 1 {
		return corev1.Pod{}, false
	}
	return list.Items[0], true
}

func onlyContainer(p *corev1.Pod) *corev1.ContainerStatus {
	if len(p.Status.ContainerStatuses) != 1 {
		return nil
	}
	return &p.Status.ContainerStatuses[0]
}
