package health

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func TestEvaluateTree(t *testing.T) {
	pods := []corev1.Pod{
		pod("infer-b", false, lastTerminated(waiting("server", ReasonCrashLoopBackOff, "back-off 10s"), "Error", 1, 2),
			running("sidecar", true)),
		pod("infer-a", true, running("server", true), running("sidecar", true)),
	}
	before := []corev1.Pod{*pods[0].DeepCopy(), *pods[1].DeepCopy()}
	root, overall := Evaluate(deployment(2, 2, 1), pods, optsAt(time.Minute))
	assert.Equal(t, before, pods, "Evaluate neither modifies nor reorders its input")

	assert.Equal(t, Component{Kind: KindDeployment, Name: "infer", Cluster: "gpu-east",
		Result: Result{State: Progressing, Reason: ReasonReplicasUnavailable, Message: "1 of 2 replica(s) available"}},
		Component{Kind: root.Kind, Name: root.Name, Cluster: root.Cluster, Result: root.Result})
	require.Len(t, root.Children, 2)
	assert.Equal(t, "infer-a", root.Children[0].Name, "pods are sorted by name")
	assert.Equal(t, Healthy, root.Children[0].State)
	crashing := root.Children[1]
	assert.Equal(t, ReasonCrashLoopBackOff, crashing.Reason)
	require.Len(t, crashing.Children, 2)
	assert.Equal(t, Component{Kind: KindContainer, Name: "sidecar", Cluster: "gpu-east",
		Result: Result{State: Healthy, Reason: ReasonReady, Message: "running and ready"}}, crashing.Children[1])
	assert.Equal(t, Degraded, crashing.Children[0].State)

	assert.Equal(t, Degraded, overall.State)
	assert.Equal(t, ReasonCrashLoopBackOff, overall.Reason)
	assert.Equal(t, "cluster gpu-east: pod infer-b: CrashLoopBackOff: container server: back-off 10s; "+
		"last exit code 1 (Error), 2 restart(s)", overall.Message)
}

func TestEvaluate(t *testing.T) {
	deadline := withDeploymentCondition(deployment(1, 1, 0), appsv1.DeploymentProgressing, corev1.ConditionFalse,
		ReasonProgressDeadlineExceeded, "timed out progressing")
	tests := []struct {
		name    string
		d       *appsv1.Deployment
		pods    []corev1.Pod
		elapsed time.Duration
		want    Result
	}{
		{"all healthy: the Deployment sums up", deployment(2, 2, 2), []corev1.Pod{
			pod("a", true, running("server", true)), pod("b", true, running("server", true))}, time.Minute,
			Result{Healthy, ReasonAvailable, "cluster gpu-east: deployment infer: Available: 2 of 2 replica(s) available"}},
		{"missing Deployment", nil, nil, 0,
			Result{Missing, ReasonNotFound, "cluster gpu-east: deployment infer-svc: NotFound: the Deployment does not exist"}},
		{"scaled to zero", deployment(0, 0, 0), nil, 0,
			Result{Suspended, ReasonScaledToZero, "cluster gpu-east: deployment infer: ScaledToZero: scaled to zero replicas"}},
		{"starting: the Deployment sums up", deployment(1, 1, 0), []corev1.Pod{pod("a", false, running("server", false))},
			time.Minute, Result{Progressing, ReasonReplicasUnavailable,
				"cluster gpu-east: deployment infer: ReplicasUnavailable: 0 of 1 replica(s) available"}},
		{"insufficient GPU: the pod explains", deployment(1, 1, 0), []corev1.Pod{unschedulable("a", gpuMessage)},
			time.Second, Result{Degraded, ReasonInsufficientGPU, "cluster gpu-east: pod a: InsufficientGPU: " + gpuMessage}},
		{"a Degraded pod explains a Degraded Deployment", deadline, []corev1.Pod{
			pod("a", false, waiting("server", ReasonImagePullBackOff, "back-off"))}, time.Hour,
			Result{Degraded, ReasonImagePullBackOff,
				"cluster gpu-east: pod a: ImagePullBackOff: container server: back-off (and 1 more Degraded)"}},
		{"two pods degraded: the first by name, the other counted", deployment(2, 2, 0), []corev1.Pod{
			pod("b", false, waiting("server", ReasonErrImagePull, "denied")),
			pod("a", false, lastTerminated(running("server", false), ReasonOOMKilled, 137, 1))}, time.Minute,
			Result{Degraded, ReasonOOMKilled, "cluster gpu-east: pod a: OOMKilled: container server: killed for " +
				"exceeding its memory limit (exit code 137, 1 restart(s)) (and 1 more Degraded)"}},
		{"startup timeout", deployment(1, 1, 0), []corev1.Pod{pod("a", false, running("server", false))},
			time.Hour, Result{Degraded, ReasonStartupTimeout, "cluster gpu-east: pod a: StartupTimeout: " +
				"container server: running but not ready after 1h0m0s; the startup budget is 5m0s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := optsAt(tt.elapsed)
			opts.DeploymentName = "infer-svc"
			_, got := Evaluate(tt.d, tt.pods, opts)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAggregate(t *testing.T) {
	healthy := func(cluster string) Component {
		root, _ := Evaluate(deployment(1, 1, 1), []corev1.Pod{pod("a", true, running("server", true))},
			Options{Cluster: cluster})
		return root
	}
	crashing := func(cluster string) Component {
		root, _ := Evaluate(deployment(1, 1, 0), []corev1.Pod{pod("infer-x", false, waiting("server",
			ReasonCrashLoopBackOff, "back-off 10s"))}, Options{Cluster: cluster})
		return root
	}
	noData := NotReported("gpu-west", "infer")
	missing, _ := Evaluate(nil, nil, Options{Cluster: "gpu-north", DeploymentName: "infer"})
	single, _ := Evaluate(deployment(1, 1, 1), []corev1.Pod{pod("a", true, running("server", true))}, Options{})

	tests := []struct {
		name  string
		trees []Component
		want  Result
	}{
		{"nothing reported", nil, Result{Unknown, ReasonNoData, "no component has been reported"}},
		{"one healthy cluster", []Component{healthy("gpu-east")}, Result{Healthy, ReasonAvailable,
			"cluster gpu-east: deployment infer: Available: 1 of 1 replica(s) available"}},
		{"no cluster name: no cluster prefix", []Component{single}, Result{Healthy, ReasonAvailable,
			"deployment infer: Available: 1 of 1 replica(s) available"}},
		{"the degraded cluster wins and is named", []Component{healthy("gpu-west"), crashing("gpu-east")},
			Result{Degraded, ReasonCrashLoopBackOff, "cluster gpu-east: pod infer-x: CrashLoopBackOff: " +
				"container server: back-off 10s"}},
		{"degraded beats missing beats unknown", []Component{noData, missing, crashing("gpu-east")},
			Result{Degraded, ReasonCrashLoopBackOff, "cluster gpu-east: pod infer-x: CrashLoopBackOff: " +
				"container server: back-off 10s"}},
		{"missing beats unknown", []Component{noData, missing, healthy("gpu-east")}, Result{Missing,
			ReasonNotFound, "cluster gpu-north: deployment infer: NotFound: the Deployment does not exist"}},
		{"unknown beats healthy", []Component{healthy("gpu-east"), noData}, Result{Unknown, ReasonNoData,
			"cluster gpu-west: deployment infer: NoData: the cluster has not reported"}},
		{"two degraded clusters: the first given, the other counted", []Component{crashing("b"), crashing("a")},
			Result{Degraded, ReasonCrashLoopBackOff, "cluster b: pod infer-x: CrashLoopBackOff: " +
				"container server: back-off 10s (and 1 more Degraded)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Aggregate(tt.trees...))
		})
	}
}
