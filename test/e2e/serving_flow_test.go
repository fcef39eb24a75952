package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/servingprovider"
	"github.com/gantry-dev/gantry/pkg/syncer"
	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

const a100 = "NVIDIA-A100-SXM4-80GB"

// servingFlow is the data scientist's path end to end: Gantry with the serving provider, one real GPU cluster
// registered from root:compute with a SyncTarget that supports the export root:serving:serving, gantry-syncer and
// gantry-serving (the operator) running as processes against it, and two ml-team workspaces placed on it.
type servingFlow struct {
	s        *harness.Server
	kc       *kubecluster.Cluster
	syncer   *harness.Process
	operator *harness.Process
	teamA    *harness.Kubectl
	teamB    *harness.Kubectl
	shellA   *harness.Kubectl // team-a's kubectl with the plugins on its PATH (kubectl gantry ...)
	nsA, nsB string           // the downstream namespaces of the teams' default namespaces
}

// setupServingFlow builds the flow: the cluster with an H100 and an A100 node, the target, the syncer, the CRDs it
// installs downstream, the operator as the ServiceAccount of its manifests, and the teams placed on the target.
func setupServingFlow(t *testing.T) *servingFlow {
	f := &servingFlow{kc: kubecluster.Start(t)}
	f.kc.AddGPUNode(t, "h100-0", h100, 8)
	f.kc.AddGPUNode(t, "a100-0", a100, 8)
	f.s = harness.Start(t, harness.WithServingProvider, "--synctarget-lease=10s")
	f.s.WaitServingProvider(t)
	servingExport := servingprovider.Path + ":" + servingprovider.ExportName

	computePath, _ := f.s.CreateWorkspace(t, "root", "compute")
	owner := f.s.UserShell(t, computePath, "")
	manifestPath := filepath.Join(t.TempDir(), "gpu-syncer.yaml")
	_, progress, err := owner.Run("gantry", "sync", "gpu", "--supported-api-export", servingExport,
		"--label", "region=eu", "-o", manifestPath)
	require.NoError(t, err, progress)
	manifests, err := os.ReadFile(manifestPath)
	require.NoError(t, err)
	out, err := runKubectl(f.kc.Kubeconfig(), string(manifests), "apply", "-f", "-")
	require.NoError(t, err, "the rendered syncer manifests apply: %s", out)
	f.syncer = harness.StartProcess(t, harness.SyncerBinary(t), "--from-kubeconfig", syncerKubeconfig(t, string(manifests)),
		"--to-kubeconfig", f.kc.Kubeconfig(), "--sync-target", computePath+"/gpu", "--heartbeat-period", "2s",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "0", "-v", "2")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gantry-syncer log:\n%s", f.syncer.Logs())
		}
	})
	f.s.Kubectl(computePath).MustRun(t, "wait", "--for=condition=Ready", "synctarget/gpu", "--timeout=90s")

	// The operator cannot start its watches before the syncer has installed the serving CRDs downstream.
	eventually(t, "the serving CRDs installed downstream by the syncer", func() bool {
		_, err := runKubectl(f.kc.Kubeconfig(), "", "wait", "--for=condition=Established", "--timeout=1s",
			"crd/inferenceservices.serving.gantry.dev", "crd/models.serving.gantry.dev", "crd/servingruntimes.serving.gantry.dev")
		return err == nil
	})
	f.operator = harness.StartProcess(t, harness.ServingOperatorBinary(t), "--kubeconfig", f.operatorKubeconfig(t),
		"--cluster-name", "gpu", "--metrics-bind-address", "0", "--health-probe-bind-address", "0", "-v", "2")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gantry-serving log:\n%s", f.operator.Logs())
		}
	})

	org, _ := f.s.CreateWorkspace(t, "root", "org")
	var clusters [2]string
	for i, name := range []string{"team-a", "team-b"} {
		f.s.Kubectl(org).WithStdin("apiVersion: tenancy.gantry.dev/v1alpha1\nkind: Workspace\nmetadata: {name: "+name+
			"}\nspec: {type: ml-team}\n").MustRun(t, "create", "-f", "-")
		path, cluster := f.s.WaitWorkspaceReady(t, org, name)
		clusters[i] = cluster
		team := f.s.Kubectl(path)
		team.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/serving", "--timeout=60s")
		team.WithStdin("apiVersion: compute.gantry.dev/v1alpha1\nkind: Placement\nmetadata: {name: eu}\nspec: {locationWorkspace: \""+
			computePath+"\", locationSelector: {matchLabels: {region: eu}}}\n").MustRun(t, "create", "-f", "-")
		team.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "placement/eu", "--timeout=60s")
		if i == 0 {
			f.teamA, f.shellA = team, f.s.UserShell(t, path, "")
		} else {
			f.teamB = team
		}
	}
	f.nsA = syncer.DownstreamNamespace(string(logicalcluster.Name(clusters[0])), "default")
	f.nsB = syncer.DownstreamNamespace(string(logicalcluster.Name(clusters[1])), "default")
	return f
}

// operatorKubeconfig applies the operator's manifests (all but its Deployment: the operator runs here as a
// process) with the real kubectl and returns a kubeconfig holding a token of their ServiceAccount, so that every
// request of the operator passes the manifests' RBAC.
func (f *servingFlow) operatorKubeconfig(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "config", "serving", "operator")
	var args []string
	for _, file := range []string{"namespace.yaml", "serviceaccount.yaml", "rbac.yaml"} {
		args = append(args, "-f", filepath.Join(dir, file))
	}
	out, err := runKubectl(f.kc.Kubeconfig(), "", append([]string{"apply"}, args...)...)
	require.NoError(t, err, out)
	out, err = runKubectl(f.kc.Kubeconfig(), "", "apply", "--dry-run=server", "-f", filepath.Join(dir, "deployment.yaml"))
	require.NoError(t, err, "the operator's Deployment is valid: %s", out)
	var token string
	eventually(t, "a token of the operator's ServiceAccount", func() bool {
		out, err := runKubectl(f.kc.Kubeconfig(), "", "create", "token", "gantry-serving", "-n", "gantry-serving", "--duration=2h")
		token = strings.TrimSpace(out)
		return err == nil && token != ""
	})
	cfg, err := clientcmd.LoadFromFile(f.kc.Kubeconfig())
	require.NoError(t, err)
	for _, auth := range cfg.AuthInfos {
		auth.ClientCertificateData, auth.ClientKeyData = nil, nil
		auth.ClientCertificate, auth.ClientKey = "", ""
		auth.Token = token
	}
	path := filepath.Join(t.TempDir(), "operator.kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// flowModel is a team's Model llama: v1 and v2 under prefix, with the stages given.
func flowModel(prefix, v1Stage, v2Stage string) string {
	return `apiVersion: serving.gantry.dev/v1alpha1
kind: Model
metadata: {name: llama, namespace: default}
spec:
  format: safetensors
  versions:
  - {name: v1, storageUri: "` + prefix + `/v1", stage: ` + v1Stage + `}
  - {name: v2, storageUri: "` + prefix + `/v2", stage: ` + v2Stage + `}
`
}

// flowService follows llama's Production version on vLLM with gpus GPUs, preferring product when set.
func flowService(name, gpus, product string) string {
	out := `apiVersion: serving.gantry.dev/v1alpha1
kind: InferenceService
metadata: {name: ` + name + `, namespace: default}
spec:
  predictor:
`
	if product != "" {
		out += "    gpuProduct: " + product + "\n"
	}
	return out + `    model:
      runtime: vllm
      modelRef: {name: llama, stage: Production}
      resources: {limits: {nvidia.com/gpu: "` + gpus + `"}}
`
}

// flowCrashingService serves a scikit-learn model on the built-in oip runtime; its pods carry the test
// cluster's fault annotation, so kwok reports their container crash-looping.
const flowCrashingService = `apiVersion: serving.gantry.dev/v1alpha1
kind: InferenceService
metadata:
  name: crashy
  namespace: default
  annotations: {gantry.dev/fake-fault: CrashLoopBackOff}
spec:
  predictor:
    model:
      modelFormat: {name: sklearn}
      storageUri: s3://models/iris
`

// flowGet prints one field of a team's object with jsonpath.
func flowGet(t *testing.T, k *harness.Kubectl, object, jsonpath string) string {
	t.Helper()
	out, _, _ := k.Run("get", object, "-n", "default", "-o", "jsonpath="+jsonpath)
	return out
}

// down prints one field of a downstream object with jsonpath, or "" when it cannot be read.
func (f *servingFlow) down(ns, object, jsonpath string, selector ...string) string {
	args := []string{"get", object, "-n", ns, "-o", "jsonpath=" + jsonpath}
	out, err := runKubectl(f.kc.Kubeconfig(), "", append(args, selector...)...)
	if err != nil {
		return ""
	}
	return out
}

// flowWaitHealth waits until the team's service reports state (and reason, when not empty) upstream.
func flowWaitHealth(t *testing.T, k *harness.Kubectl, name, state, reason string) {
	t.Helper()
	want := state + "/" + reason
	var got string
	ok := assert.Eventually(t, func() bool {
		got = flowGet(t, k, "isvc/"+name, "{.status.health.state}/{.status.health.reason}")
		return got == want || (reason == "" && strings.HasPrefix(got, state+"/"))
	}, 120*time.Second, 250*time.Millisecond, "isvc/%s to be %s upstream", name, want)
	if !ok {
		t.Fatalf("isvc/%s is %q upstream; status: %s", name, got, flowGet(t, k, "isvc/"+name, "{.status}"))
	}
}

// TestServingFlow: two teams bind serving through their ml-team workspaces and are placed on one real GPU
// cluster where gantry-syncer and gantry-serving run. A 1-GPU service on H100 becomes Healthy upstream, its pod on
// the H100 node asking for nvidia.com/gpu: 1; a 16-GPU one is Degraded InsufficientGPU with the scheduler's
// message; a crash-looping one is Degraded CrashLoopBackOff; upstream observedGeneration follows the upstream
// generation, so that `kubectl gantry rollout status` and `rollout undo` work through the cluster; `kubectl gantry
// promote` of v2 rolls the following service to v2's files, Healthy again, with both in its history, and promoting
// v1 rolls it back; team-b's same-named service is untouched throughout.
func TestServingFlow(t *testing.T) {
	f := setupServingFlow(t)

	// Both teams register llama; the services are created at once, to be checked one by one.
	f.teamA.WithStdin(flowModel("s3://team-a/llama", "Production", "Staging")).MustRun(t, "apply", "-f", "-")
	f.teamB.WithStdin(flowModel("s3://team-b/llama", "Production", "Staging")).MustRun(t, "apply", "-f", "-")
	f.teamA.WithStdin(flowService("chat", "1", h100)+"---\n"+flowService("big", "16", "")+
		"---\n"+flowCrashingService).MustRun(t, "apply", "-f", "-")
	f.teamB.WithStdin(flowService("chat", "1", a100)).MustRun(t, "apply", "-f", "-")

	var teamBDeploymentGeneration string
	t.Run("a 1-GPU service on H100 becomes Healthy upstream, its pod on the H100 node", func(t *testing.T) {
		flowWaitHealth(t, f.teamA, "chat", "Healthy", "")
		assert.Equal(t, "llama:v1 1/1", flowGet(t, f.teamA, "isvc/chat", "{.status.model} {.status.ready}"))
		assert.Equal(t, flowGet(t, f.teamA, "isvc/chat", "{.metadata.generation}"), flowGet(t, f.teamA, "isvc/chat", "{.status.observedGeneration}"))
		assert.Equal(t, "True", flowGet(t, f.teamA, "isvc/chat", `{.status.conditions[?(@.type=="Ready")].status}`))
		assert.Equal(t, "gpu", flowGet(t, f.teamA, "isvc/chat", "{.status.components[0].cluster}"), "the operator's --cluster-name")
		listed := f.teamA.MustRun(t, "get", "isvc", "chat", "-n", "default")
		assert.Contains(t, listed, "Healthy", "kubectl get shows the health column")

		assert.Equal(t, "1 1", f.down(f.nsA, "deploy/chat-predictor",
			`{.spec.template.spec.containers[0].resources.requests.nvidia\.com/gpu} {.spec.template.spec.containers[0].resources.limits.nvidia\.com/gpu}`))
		assert.Equal(t, "s3://team-a/llama/v1", f.down(f.nsA, "deploy/chat-predictor", "{.spec.template.spec.initContainers[0].args[0]}"))
		assert.Equal(t, "h100-0 Running", f.down(f.nsA, "pods", "{.items[0].spec.nodeName} {.items[0].status.phase}",
			"-l", "serving.gantry.dev/inferenceservice=chat"))

		flowWaitHealth(t, f.teamB, "chat", "Healthy", "")
		assert.Equal(t, "a100-0", f.down(f.nsB, "pods", "{.items[0].spec.nodeName}", "-l", "serving.gantry.dev/inferenceservice=chat"),
			"team-b's service on its own product")
		teamBDeploymentGeneration = f.down(f.nsB, "deploy/chat-predictor", "{.metadata.generation}")
		require.NotEmpty(t, teamBDeploymentGeneration)
	})

	t.Run("16 GPUs are Degraded InsufficientGPU upstream with the scheduler's message", func(t *testing.T) {
		flowWaitHealth(t, f.teamA, "big", "Degraded", "InsufficientGPU")
		assert.Contains(t, flowGet(t, f.teamA, "isvc/big", "{.status.health.message}"), "Insufficient nvidia.com/gpu")
		assert.Equal(t, "BlockedByFailedLoad", flowGet(t, f.teamA, "isvc/big", "{.status.modelStatus.transitionStatus}"))
	})

	t.Run("a crash-looping runtime is Degraded CrashLoopBackOff upstream", func(t *testing.T) {
		flowWaitHealth(t, f.teamA, "crashy", "Degraded", "CrashLoopBackOff")
		assert.Contains(t, flowGet(t, f.teamA, "isvc/crashy", "{.status.health.message}"), "container server")
	})

	t.Run("upstream observedGeneration counts upstream generations; rollout status and undo rely on it", func(t *testing.T) {
		// Two edits while the syncer is down reach the cluster as one: downstream generation 2 is upstream 3.
		f.syncer.Stop(syscall.SIGTERM)
		f.teamA.MustRun(t, "patch", "isvc", "chat", "-n", "default", "--type=merge", "-p", `{"spec":{"predictor":{"maxReplicas":3}}}`)
		f.teamA.MustRun(t, "patch", "isvc", "chat", "-n", "default", "--type=merge", "-p", `{"spec":{"predictor":{"maxReplicas":4}}}`)
		require.Equal(t, "3", flowGet(t, f.teamA, "isvc/chat", "{.metadata.generation}"))
		f.syncer.Start()
		eventually(t, "the edits downstream", func() bool {
			return f.down(f.nsA, "isvc/chat", "{.spec.predictor.maxReplicas} {.metadata.generation}") == "4 2"
		})
		eventually(t, "upstream observedGeneration 3", func() bool {
			return flowGet(t, f.teamA, "isvc/chat", "{.status.observedGeneration} {.status.health.state}") == "3 Healthy"
		})
		out := f.shellA.MustRun(t, "gantry", "rollout", "status", "isvc/chat", "-n", "default", "--timeout", "90s")
		assert.Contains(t, out, "Healthy")

		// Back to the first revision's predictor (no maxReplicas): generation 4 upstream, and status follows it.
		f.shellA.MustRun(t, "gantry", "rollout", "undo", "isvc/chat", "-n", "default", "--to-revision", "1")
		require.Equal(t, "4", flowGet(t, f.teamA, "isvc/chat", "{.metadata.generation}"))
		f.shellA.MustRun(t, "gantry", "rollout", "status", "isvc/chat", "-n", "default", "--timeout", "90s")
		assert.Equal(t, "4 Healthy", flowGet(t, f.teamA, "isvc/chat", "{.status.observedGeneration} {.status.health.state}"))
		assert.Empty(t, f.down(f.nsA, "isvc/chat", "{.spec.predictor.maxReplicas}"), "the undo reached the cluster")
	})

	t.Run("promoting v2 to Production rolls the following service to v2, Healthy again; history shows both", func(t *testing.T) {
		f.shellA.MustRun(t, "gantry", "promote", "model/llama", "--version", "v2", "--stage", "Production", "-n", "default")
		assert.Equal(t, "v2", flowGet(t, f.teamA, "model/llama", `{.spec.versions[?(@.stage=="Production")].name}`))
		eventually(t, "the downstream Deployment rolls to v2's storageUri", func() bool {
			return f.down(f.nsA, "deploy/chat-predictor", "{.spec.template.spec.initContainers[0].args[0]}") == "s3://team-a/llama/v2"
		})
		eventually(t, "llama:v2 Healthy upstream", func() bool {
			return flowGet(t, f.teamA, "isvc/chat", "{.status.model} {.status.health.state}") == "llama:v2 Healthy"
		})
		f.shellA.MustRun(t, "gantry", "rollout", "status", "isvc/chat", "-n", "default", "--timeout", "90s")
		eventually(t, "the rolled pod runs on H100", func() bool {
			return f.down(f.nsA, "pods", "{.items[*].spec.nodeName}", "-l", "serving.gantry.dev/inferenceservice=chat") == "h100-0"
		})
		history := f.shellA.MustRun(t, "gantry", "rollout", "history", "isvc/chat", "-n", "default")
		assert.Regexp(t, `llama:v1`, history)
		assert.Regexp(t, `llama:v2.*promoted to Production`, history)
	})

	t.Run("promoting v1 back rolls the service back to v1", func(t *testing.T) {
		f.shellA.MustRun(t, "gantry", "promote", "model/llama", "--version", "v1", "--stage", "Production", "-n", "default")
		eventually(t, "the downstream Deployment rolls back to v1's storageUri", func() bool {
			return f.down(f.nsA, "deploy/chat-predictor", "{.spec.template.spec.initContainers[0].args[0]}") == "s3://team-a/llama/v1"
		})
		eventually(t, "llama:v1 Healthy upstream", func() bool {
			return flowGet(t, f.teamA, "isvc/chat", "{.status.model} {.status.health.state}") == "llama:v1 Healthy"
		})
	})

	t.Run("team-b's same-named service is untouched throughout", func(t *testing.T) {
		assert.Equal(t, "llama:v1 Healthy 1", flowGet(t, f.teamB, "isvc/chat", "{.status.model} {.status.health.state} {.metadata.generation}"))
		assert.Equal(t, teamBDeploymentGeneration, f.down(f.nsB, "deploy/chat-predictor", "{.metadata.generation}"))
		assert.Equal(t, "s3://team-b/llama/v1", f.down(f.nsB, "deploy/chat-predictor", "{.spec.template.spec.initContainers[0].args[0]}"))
		out, _, _ := f.teamB.Run("get", "isvc", "-n", "default", "-o", "name")
		assert.Equal(t, "inferenceservice.serving.gantry.dev/chat", strings.TrimSpace(out), "team-b sees only its own service")
	})
	require.False(t, f.operator.Exited(), "the operator ran throughout")
}
