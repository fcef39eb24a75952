package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/pkg/servingprovider"
	"github.com/gantry-dev/gantry/test/harness"
)

// servingCLIModels are the Models of TestServingCLI besides servingModel's llama (v1 Production, v2 Staging): draft
// has no version in Production, and resnet lives in another namespace, vision.
const servingCLIModels = `apiVersion: serving.gantry.dev/v1alpha1
kind: Model
metadata: {name: draft, namespace: default}
spec:
  format: gguf
  versions:
  - {name: v1, storageUri: "s3://models/draft-1", stage: Staging}
  - {name: v2, storageUri: "s3://models/draft-2"}
---
apiVersion: serving.gantry.dev/v1alpha1
kind: Model
metadata: {name: resnet, namespace: vision}
spec:
  format: onnx
  versions:
  - {name: v7, storageUri: "s3://models/resnet-7", stage: Production}
`

// servingCLIHealthTree is a status with every level of the health tree, as the operator and syncers would write it.
const servingCLIHealthTree = `{"status": {"health": {"state": "Degraded", "reason": "InsufficientGPU", "message": "Deployment llama-predictor on gpu-us: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu"},
 "model": "llama:v1", "ready": "1/2", "revision": 2, "url": "http://llama.default.example",
 "clusters": [{"name": "gpu-eu", "health": {"state": "Healthy"}, "readyReplicas": 1, "replicas": 1},
              {"name": "gpu-us", "health": {"state": "Degraded", "reason": "InsufficientGPU", "message": "0/2 nodes are available"}, "replicas": 1}],
 "components": [{"kind": "Deployment", "name": "llama-predictor", "cluster": "gpu-us", "health": {"state": "Degraded", "reason": "InsufficientGPU"},
   "children": [{"kind": "Pod", "name": "llama-predictor-7d9f", "health": {"state": "Degraded", "reason": "InsufficientGPU", "message": "0/2 nodes are available"},
     "children": [{"kind": "Container", "name": "kserve-container", "health": {"state": "Unknown", "reason": "PodPending"}}]}]}]}}`

// TestServingCLI: `kubectl gantry models`, `launch` and `health` against a real server with the serving provider,
// as a team's admin in an ml-team workspace; the service's status is written by the test, as the operator would.
func TestServingCLI(t *testing.T) {
	s, _ := startWithUsers(t, harness.WithServingProvider)
	f := &servingFixture{s: s}
	s.WaitWorkspaceReady(t, servingprovider.ParentPath, servingprovider.WorkspaceName)
	org, _ := s.CreateWorkspace(t, "root", "org")
	f.teamA = f.mlTeam(t, org, "team-a", "alice")
	f.teamB = f.mlTeam(t, org, "team-b", "bob")
	alice := s.UserShell(t, f.teamA, aliceToken)
	bob := s.UserShell(t, f.teamB, bobToken)
	admin := s.Kubectl(f.teamA)
	for _, k := range []*harness.Kubectl{alice, bob} {
		kubectlUntil(t, k, "Bound", "get", "apibinding", servingprovider.ExportName, "-o", "jsonpath={.status.phase}")
	}
	admin.MustRun(t, "create", "namespace", "vision")
	alice.WithStdin(servingModel+"---\n"+servingCLIModels).MustRun(t, "apply", "-f", "-")

	t.Run("models lists each Model with its versions, stages and production version", func(t *testing.T) {
		out := alice.MustRun(t, "gantry", "models")
		assert.Regexp(t, `^NAME\s+FORMAT\s+VERSIONS\s+PRODUCTION\s+AGE\n`, out)
		assert.Regexp(t, `\ndraft\s+gguf\s+v1\(Staging\),v2\(None\)\s+<none>\s+\S+\n`, out)
		assert.Regexp(t, `\nllama\s+safetensors\s+v1\(Production\),v2\(Staging\)\s+v1\s+\S+\n`, out)
		assert.NotContains(t, out, "resnet", "another namespace")
		assert.Regexp(t, `\nvision\s+resnet\s+onnx\s+v7\(Production\)\s+v7\s`, alice.MustRun(t, "gantry", "models", "-A"))
		assert.Regexp(t, `^resnet\s+onnx`, strings.Split(alice.MustRun(t, "gantry", "models", "-n", "vision"), "\n")[1])

		out, errOut, err := bob.Run("gantry", "models", "-A")
		require.NoError(t, err)
		assert.Empty(t, out, "team-b sees none of team-a's Models")
		assert.Equal(t, "No Models found.\n", errOut)
	})

	t.Run("launch --no-wait creates a service following the version asked, else the Production one", func(t *testing.T) {
		out := alice.MustRun(t, "gantry", "launch", "llama", "--no-wait")
		assert.Equal(t, "inferenceservice.serving.gantry.dev/llama created in namespace default, serving llama:v1\n", out)
		assert.Equal(t, "llama v1 1 1", alice.MustRun(t, "get", "isvc", "llama", "-o",
			"jsonpath={.spec.predictor.model.modelRef.name} {.spec.predictor.model.modelRef.version} {.spec.predictor.minReplicas} {.spec.predictor.maxReplicas}"))

		alice.MustRun(t, "gantry", "launch", "llama:v2", "--name", "canary", "--gpus", "1", "--replicas", "2",
			"--runtime", "vllm", "--gpu-product", "NVIDIA-H100-80GB-HBM3", "--no-wait")
		assert.Equal(t, "v2 vllm NVIDIA-H100-80GB-HBM3 2 1 1", alice.MustRun(t, "get", "isvc", "canary", "-o",
			`jsonpath={.spec.predictor.model.modelRef.version} {.spec.predictor.model.runtime} {.spec.predictor.gpuProduct} `+
				`{.spec.predictor.maxReplicas} {.spec.predictor.model.resources.requests.nvidia\.com/gpu} {.spec.predictor.model.resources.limits.nvidia\.com/gpu}`))
	})

	t.Run("launch refuses what it cannot serve, and shows the server's refusals plainly", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"nope"}, `error: no Model "nope" in namespace "default": register it first, or see ` + "`kubectl gantry models -n default`"},
			{[]string{"draft"}, "error: cannot launch draft: no version of the Model is in stage Production; name one (draft:VERSION) " +
				"or promote one. Its versions: v1(Staging),v2(None)"},
			{[]string{"llama:v9", "--name", "v9"}, `error: cannot launch llama:v9: Model "llama" has no version "v9"; it has "v1", "v2"`},
			{[]string{"resnet"}, `error: no Model "resnet" in namespace "default"`},
			{[]string{"llama"}, `Error from server (AlreadyExists): inferenceservices.serving.gantry.dev "llama" already exists`},
			{[]string{"llama", "--name", "Bad_Name"}, `Error from server (Invalid): InferenceService.serving.gantry.dev "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"`},
			{[]string{"llama", "--name", "scaled-down", "--replicas=-1"}, "error: --replicas must not be negative, got -1"},
			{[]string{"Bad:Ref:x"}, `error: "Bad:Ref:x" is not MODEL[:VERSION]`},
		} {
			out, errOut, err := alice.Run(append([]string{"gantry", "launch", "--no-wait"}, tc.args...)...)
			require.Error(t, err, "launch %v: %s", tc.args, out)
			assert.Contains(t, errOut, tc.want, "launch %v", tc.args)
		}
		assert.Equal(t, "canary llama", alice.MustRun(t, "get", "isvc", "-o", "jsonpath={.items[*].metadata.name}"), "nothing refused was created")
		_, errOut, err := alice.Run("gantry", "launch", "llama", "--name", "x", "-n", "vision", "--no-wait")
		require.Error(t, err)
		assert.Contains(t, errOut, `no Model "llama" in namespace "vision"`, "-n chooses where the Model is looked up")
	})

	t.Run("launch follows the service's health and exits non-zero on Degraded, with the reason", func(t *testing.T) {
		done := make(chan [3]string, 1)
		go func() {
			out, errOut, err := alice.RunContext(context.Background(), "gantry", "launch", "llama:v2", "--name", "follow", "--timeout", "3m")
			done <- [3]string{out, errOut, fmt.Sprint(err)}
		}()
		kubectlUntil(t, alice, "follow", "get", "isvc", "follow", "-o", "name")
		admin.MustRun(t, "patch", "isvc", "follow", "-n", "default", "--subresource=status", "--type=merge", "-p",
			`{"status": {"health": {"state": "Degraded", "reason": "CrashLoopBackOff", "message": "container kserve-container restarts"}}}`)
		result := <-done
		assert.Contains(t, result[0], "inferenceservice.serving.gantry.dev/follow created in namespace default, serving llama:v2\n")
		assert.Contains(t, result[0], "inferenceservice/follow: Degraded (CrashLoopBackOff): container kserve-container restarts\n")
		assert.Equal(t, "exit status 1", result[2])
		assert.Equal(t, `error: inferenceservice/follow is Degraded (CrashLoopBackOff): container kserve-container restarts`+"\n", result[1])

		go func() {
			out, errOut, err := alice.RunContext(context.Background(), "gantry", "launch", "llama", "--name", "healthy", "--timeout", "3m")
			done <- [3]string{out, errOut, fmt.Sprint(err)}
		}()
		kubectlUntil(t, alice, "healthy", "get", "isvc", "healthy", "-o", "name")
		admin.MustRun(t, "patch", "isvc", "healthy", "-n", "default", "--subresource=status", "--type=merge", "-p",
			`{"status": {"health": {"state": "Healthy"}}}`)
		result = <-done
		assert.Equal(t, "<nil>", result[2], result[1])
		assert.True(t, strings.HasSuffix(result[0], "inferenceservice/healthy: Healthy\n"), result[0])
	})

	t.Run("health prints the tree, and what is not reported yet", func(t *testing.T) {
		admin.MustRun(t, "patch", "isvc", "llama", "-n", "default", "--subresource=status", "--type=merge", "-p", servingCLIHealthTree)
		assert.Equal(t, `inferenceservice/llama (namespace default): Degraded (InsufficientGPU): Deployment llama-predictor on gpu-us: 0/2 nodes are available: 2 Insufficient nvidia.com/gpu
  model llama:v1, revision 2, 1/2 ready, url http://llama.default.example
Clusters: 1 of 2 unhealthy (gpu-us)
  gpu-eu: 1/1 ready, Healthy
  gpu-us: 0/1 ready, Degraded (InsufficientGPU): 0/2 nodes are available
Components:
  Deployment llama-predictor on gpu-us: Degraded (InsufficientGPU)
    Pod llama-predictor-7d9f: Degraded (InsufficientGPU): 0/2 nodes are available
      Container kserve-container: Unknown (PodPending)
`, alice.MustRun(t, "gantry", "health", "isvc/llama"))

		assert.Equal(t, "inferenceservice/canary (namespace default): Unknown\nClusters: none reported\nComponents: none reported\n",
			alice.MustRun(t, "gantry", "health", "inferenceservice/canary"), "no status yet")

		_, errOut, err := alice.Run("gantry", "health", "isvc/nope")
		require.Error(t, err)
		assert.Equal(t, `Error from server (NotFound): inferenceservices.serving.gantry.dev "nope" not found`+"\n", errOut)
		_, errOut, err = bob.Run("gantry", "health", "isvc/llama")
		require.Error(t, err)
		assert.Contains(t, errOut, "NotFound", "team-b's workspace has no llama of team-a")
		_, errOut, err = alice.Run("gantry", "health", "deployment/llama")
		require.Error(t, err)
		assert.Contains(t, errOut, `error: "deployment/llama" is not TYPE/NAME: use isvc/NAME`)
	})
}
