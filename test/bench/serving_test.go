package bench

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/utils/ptr"

	"github.com/gantry-dev/gantry/pkg/health"
	"github.com/gantry-dev/gantry/pkg/syncer"
	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

var inferenceServices = schema.GroupVersionResource{Group: "serving.gantry.dev", Version: "v1alpha1", Resource: "inferenceservices"}

// servingSetup is the SyncTarget gpu (region eu), supporting the serving export, and a ClusterRole and binding
// that let the ServiceAccount default:syncer sync it, as `kubectl gantry sync` would make them.
const servingSetup = `apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: gpu, labels: {region: eu}}
spec:
  supportedAPIExports: [{path: "root:serving", export: serving}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: syncer-gpu}
rules:
- {apiGroups: [compute.gantry.dev], resources: [synctargets], resourceNames: [gpu], verbs: [sync]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: syncer-gpu}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: syncer-gpu}
subjects:
- {kind: ServiceAccount, namespace: default, name: syncer}
`

// benchModel is the Model every launched service follows (v1 in Production).
const benchModel = `apiVersion: serving.gantry.dev/v1alpha1
kind: Model
metadata: {name: llama, namespace: default}
spec:
  format: safetensors
  versions:
  - {name: v1, storageUri: "s3://bench/llama/v1", stage: Production}
`

// setupServingBench starts Gantry with the serving provider, a real cluster with one fake H100 node of gpus GPUs,
// gantry-syncer for the SyncTarget gpu and gantry-serving against that cluster, and an ml-team workspace placed
// on gpu holding the Model llama. It returns admin dynamic clients of the team's workspace and of the cluster.
// The syncer's and the operator's /metrics are at syncerMetrics and operatorMetrics.
func setupServingBench(b *testing.B, gpus int, syncerMetrics, operatorMetrics string) (dynamic.Interface, dynamic.Interface) {
	b.Helper()
	kc := kubecluster.Start(b)
	kc.AddGPUNode(b, "h100-0", "NVIDIA-H100-80GB-HBM3", gpus)
	s := harness.Start(b, harness.WithServingProvider)
	s.WaitServingProvider(b)

	computePath, _ := s.CreateWorkspace(b, "root", "compute")
	compute := s.Kubectl(computePath)
	compute.WithStdin(servingSetup).MustRun(b, "create", "-f", "-")
	compute.MustRun(b, "create", "serviceaccount", "syncer")
	token := strings.TrimSpace(compute.MustRun(b, "create", "token", "syncer", "--duration=24h"))
	harness.StartProcess(b, harness.SyncerBinary(b), "--from-kubeconfig", s.KubeconfigAs(b, computePath, token),
		"--to-kubeconfig", kc.Kubeconfig(), "--sync-target", computePath+"/gpu",
		"--metrics-bind-address", syncerMetrics, "--health-probe-bind-address", "0")
	compute.MustRun(b, "wait", "--for=condition=Ready", "synctarget/gpu", "--timeout=120s")
	waitServingCRDs(b, apiextensionsclient.NewForConfigOrDie(kc.RESTConfig()), 2*time.Minute)
	harness.StartProcess(b, harness.ServingOperatorBinary(b), "--kubeconfig", kc.Kubeconfig(),
		"--metrics-bind-address", operatorMetrics, "--health-probe-bind-address", "0")

	org, _ := s.CreateWorkspace(b, "root", "org")
	s.Kubectl(org).WithStdin("apiVersion: tenancy.gantry.dev/v1alpha1\nkind: Workspace\nmetadata: {name: team}\nspec: {type: ml-team}\n").
		MustRun(b, "create", "-f", "-")
	path, _ := s.WaitWorkspaceReady(b, org, "team")
	team := s.Kubectl(path)
	team.MustRun(b, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/serving", "--timeout=120s")
	team.WithStdin("apiVersion: compute.gantry.dev/v1alpha1\nkind: Placement\nmetadata: {name: eu}\nspec: {locationWorkspace: \""+
		computePath+"\", locationSelector: {matchLabels: {region: eu}}}\n").MustRun(b, "create", "-f", "-")
	team.MustRun(b, "wait", "--for=jsonpath={.status.phase}=Bound", "placement/eu", "--timeout=120s")
	team.WithStdin(benchModel).MustRun(b, "create", "-f", "-")
	_, dyn := s.Clients(b, path)
	return dyn, dynamic.NewForConfigOrDie(kc.RESTConfig())
}

// waitServingCRDs waits until the syncer has installed the serving CRDs downstream and they are established: the
// operator cannot start its watches before.
func waitServingCRDs(b *testing.B, ext apiextensionsclient.Interface, timeout time.Duration) {
	b.Helper()
	for _, name := range []string{"inferenceservices", "models", "servingruntimes"} {
		established := false
		for deadline := time.Now().Add(timeout); !established && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			crd, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(context.Background(), name+".serving.gantry.dev", metav1.GetOptions{})
			if err != nil {
				continue
			}
			for _, c := range crd.Status.Conditions {
				established = established || (c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue)
			}
		}
		if !established {
			b.Fatalf("CRD %s.serving.gantry.dev not established downstream within %s", name, timeout)
		}
	}
}

// launchedService is a 1-GPU InferenceService following llama's Production version on vLLM.
func launchedService(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "serving.gantry.dev/v1alpha1", "kind": "InferenceService",
		"metadata": map[string]interface{}{"name": name, "namespace": "default"},
		"spec": map[string]interface{}{"predictor": map[string]interface{}{"model": map[string]interface{}{
			"runtime":   "vllm",
			"modelRef":  map[string]interface{}{"name": "llama", "stage": "Production"},
			"resources": map[string]interface{}{"limits": map[string]interface{}{"nvidia.com/gpu": "1"}},
		}}},
	}}
}

// BenchmarkServingLaunchToHealthy launches GANTRY_BENCH_SERVING_LAUNCHES (default 50) 1-GPU InferenceServices one
// after the other in a team's workspace and reports the time from the create call to the status
// health.state=Healthy seen by an upstream watch (p50, p99, max): Gantry's admission and placement labels, the
// syncer's copy down, the operator's Deployment, the real scheduler and kwok's fake pods, the operator's status,
// and the syncer's copy up. It also reports the p50 of three stages, from downstream watches: create → the
// syncer's copy seen downstream (copy), → the operator's Healthy downstream (run), → Healthy upstream (up).
func BenchmarkServingLaunchToHealthy(b *testing.B) {
	n := envInt("GANTRY_BENCH_SERVING_LAUNCHES", 50)
	for i := 0; i < b.N; i++ {
		syncerMetrics := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(b))
		operatorMetrics := fmt.Sprintf("127.0.0.1:%d", harness.FreePort(b))
		dyn, down := setupServingBench(b, n+8, syncerMetrics, operatorMetrics)
		healthy := watchResource(b, dyn, inferenceServices, "default", "", healthyName)
		// Downstream, by name (one team, so names are unique): the syncer's copy, and the operator's Healthy.
		copied := watchResource(b, down, inferenceServices, "", syncer.SyncTargetLabel, func(u *unstructured.Unstructured) string { return u.GetName() })
		healthyDown := watchResource(b, down, inferenceServices, "", syncer.SyncTargetLabel, healthyName)
		client := dyn.Resource(inferenceServices).Namespace("default")
		var latencies, toCopy, toHealthyDown, toUpstream []time.Duration
		work := func() [3]float64 {
			return [3]float64{scrapeMetric(b, syncerMetrics, "workqueue_adds_total", `name="gantry_syncer"`),
				scrapeMetric(b, operatorMetrics, "controller_runtime_reconcile_total"),
				scrapeMetric(b, operatorMetrics, "gantry_serving_applies_total")}
		}
		before, perLaunch := work(), make([]string, 0, n)
		for j := 0; j < n; j++ {
			name := fmt.Sprintf("llm-%03d", j)
			start := time.Now()
			if _, err := client.Create(context.Background(), launchedService(name), metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			at, ok := healthy.wait(name, 5*time.Minute)
			if !ok {
				got, _ := client.Get(context.Background(), name, metav1.GetOptions{})
				b.Fatalf("%s not Healthy within 5 minutes; last: %v", name, got)
			}
			copiedAt, _ := copied.wait(name, time.Second)
			healthyDownAt, _ := healthyDown.wait(name, time.Second)
			latencies = append(latencies, at.Sub(start))
			toCopy = append(toCopy, copiedAt.Sub(start))
			toHealthyDown = append(toHealthyDown, healthyDownAt.Sub(copiedAt))
			toUpstream = append(toUpstream, at.Sub(healthyDownAt))
			now := work()
			perLaunch = append(perLaunch, fmt.Sprintf("%.0f/%.0f/%.0f", now[0]-before[0], now[1]-before[1], now[2]-before[2]))
			before = now
		}
		b.Logf("syncer queue adds / operator reconciles / operator applies, per launch: %v", perLaunch)
		b.Logf("launch → Healthy upstream, in launch order: %v", roundedMillis(latencies))
		for stage, ds := range map[string][]time.Duration{"copy": toCopy, "run": toHealthyDown, "up": toUpstream} {
			b.ReportMetric(float64(percentile(ds, 50).Microseconds())/1000, stage+"-p50-ms")
		}
		reportLatencies(b, latencies)
	}
}

// healthyName is the object's name when its status.health.state is Healthy, else "".
func healthyName(u *unstructured.Unstructured) string {
	if state, _, _ := unstructured.NestedString(u.Object, "status", "health", "state"); state == "Healthy" {
		return u.GetName()
	}
	return ""
}

// roundedMillis copies ds rounded to milliseconds, for the log.
func roundedMillis(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// BenchmarkServingHealthRecompute evaluates the health of GANTRY_BENCH_SERVING_SERVICES (default 1000) services,
// each a Deployment of two replicas and its two pods (an init container and the server), as the operator does on
// each reconcile: one in twenty crash-loops and one in twenty cannot be scheduled for lack of GPUs. It reports the
// cost per service and for all of them (the mean of 20 passes per iteration).
func BenchmarkServingHealthRecompute(b *testing.B) {
	n := envInt("GANTRY_BENCH_SERVING_SERVICES", 1000)
	now := time.Now()
	deployments := make([]*appsv1.Deployment, n)
	pods := make([][]corev1.Pod, n)
	for i := range deployments {
		name := fmt.Sprintf("llm-%04d-predictor", i)
		deployments[i] = servingDeployment(name, i%20 != 0 && i%20 != 1)
		pods[i] = []corev1.Pod{servingPod(name+"-a", i%20, now), servingPod(name+"-b", 2, now)}
	}
	opts := health.Options{Cluster: "gpu", StartupBudget: 10 * time.Minute}
	// make bench runs each benchmark once (-benchtime 1x): one pass over 1,000 services is a few milliseconds,
	// too short to time alone, so each iteration makes healthPasses passes and the figures are per pass.
	const healthPasses = 20
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for range healthPasses {
			for j := range deployments {
				if _, r := health.Evaluate(deployments[j], pods[j], opts); r.State == "" {
					b.Fatal("no state")
				}
			}
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	passes := float64(b.N * healthPasses)
	perPass := float64(b.Elapsed().Nanoseconds()) / passes
	b.ReportMetric(perPass/1e6, fmt.Sprintf("ms/%d-services", n))
	b.ReportMetric(perPass/float64(n)/1e3, "µs/service")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/passes/float64(n), "allocs/service")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/passes/float64(n), "B/service")
	b.ReportMetric(0, "ns/op")
}

// servingDeployment is a 2-replica predictor Deployment, all available when available, else one.
func servingDeployment(name string, available bool) *appsv1.Deployment {
	ready := int32(2)
	if !available {
		ready = 1
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team", Generation: 3},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(int32(2))},
		Status: appsv1.DeploymentStatus{ObservedGeneration: 3, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: ready,
			AvailableReplicas: ready, Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"}}},
	}
}

// servingPod is a predictor pod: kind 0 crash-loops, kind 1 waits unscheduled for GPUs, any other runs ready.
func servingPod(name string, kind int, now time.Time) corev1.Pod {
	started := metav1.NewTime(now.Add(-time.Hour))
	pod := corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team", CreationTimestamp: started},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &started,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: started}},
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "storage-initializer", Ready: true,
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "server", Ready: true,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}}},
		},
	}
	switch kind {
	case 0:
		pod.Status.Conditions[0].Status = corev1.ConditionFalse
		pod.Status.ContainerStatuses[0] = corev1.ContainerStatus{Name: "server", RestartCount: 3,
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 40s"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}}
	case 1:
		pod.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled,
			Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
			Message: "0/2 nodes are available: 2 Insufficient nvidia.com/gpu."}}}
	}
	return pod
}
