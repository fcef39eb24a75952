package e2e

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

// gpuDeployment is config/samples/gpu-deployment.yaml, the README's GPU Deployment.
var gpuDeployment = samples.GPUDeployment

// llmService is a Service in front of gpuDeployment.
const llmService = `apiVersion: v1
kind: Service
metadata: {name: llm, namespace: default}
spec:
  selector: {app: llm}
  ports:
  - {name: http, port: 80, targetPort: 8000}
`

// sidecar is a second container for gpuDeployment, appended to its containers.
const sidecar = `      - name: sidecar
        image: busybox:1
`

// TestImportClusterAPIs: a compute workspace offers a real cluster's Deployments with `kubectl gantry
// import-apis`; a team binds the export and applies a GPU Deployment with kubectl as it would to the cluster.
func TestImportClusterAPIs(t *testing.T) {
	downstream := kubecluster.Start(t)
	s := harness.Start(t)
	computePath, _ := s.CreateWorkspace(t, "root", "compute")
	shell := s.UserShell(t, computePath, "")
	_, progress, err := shell.Run("gantry", "import-apis", "--from-kubeconfig", downstream.Kubeconfig(), "deployments.apps", "services")
	require.NoError(t, err, progress)
	assert.Contains(t, progress, "apiexport/kubernetes offers deployments.apps, services")
	compute := s.Kubectl(computePath)
	compute.MustRun(t, "wait", "--for=condition=IdentityValid", "apiexport/kubernetes", "--timeout=30s")

	teamPath, _ := s.CreateWorkspace(t, "root", "team-a")
	team := s.Kubectl(teamPath)
	team.WithStdin(strings.ReplaceAll(bindingYAML("kubernetes", computePath), "name: widgets", "name: kubernetes")).MustRun(t, "create", "-f", "-")
	team.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/kubernetes", "--timeout=30s")
	team.WithStdin(gpuDeployment).MustRun(t, "apply", "-f", "-")
	assert.Equal(t, "2 1 8000", team.MustRun(t, "get", "deployment", "llm", "-n", "default", "-o",
		`jsonpath={.spec.replicas} {.spec.template.spec.containers[0].resources.limits.nvidia\.com/gpu} {.spec.template.spec.containers[0].ports[0].containerPort}`))
	assert.Equal(t, "TCP", team.MustRun(t, "get", "deployment", "llm", "-n", "default", "-o",
		`jsonpath={.spec.template.spec.containers[0].ports[0].protocol}`), "the list map key's default, as the cluster sets it")
	team.MustRun(t, "scale", "deployment", "llm", "-n", "default", "--replicas=3")
	assert.Equal(t, "3", team.MustRun(t, "get", "deploy", "llm", "-n", "default", "-o", "jsonpath={.spec.replicas}"), "scale subresource and short name")
	// kubectl knows apps/v1 Deployment as a built-in kind: a second client-side apply, like kubectl patch by default,
	// sends a strategic merge patch, which merges the containers by name as kube-apiserver does.
	team.WithStdin(strings.Replace(gpuDeployment, "image: vllm/vllm-openai:v0.6.0", "image: vllm/vllm-openai:v0.6.1", 1)+sidecar).
		MustRun(t, "apply", "-f", "-")
	assert.Equal(t, "server=vllm/vllm-openai:v0.6.1 sidecar=busybox:1 8000/TCP 1", team.MustRun(t, "get", "deploy", "llm", "-n", "default", "-o",
		`jsonpath={range .spec.template.spec.containers[*]}{.name}={.image} {end}{.spec.template.spec.containers[0].ports[0].containerPort}/{.spec.template.spec.containers[0].ports[0].protocol} {.spec.template.spec.containers[0].resources.limits.nvidia\.com/gpu}`))
	team.MustRun(t, "patch", "deploy", "llm", "-n", "default", "-p", `{"spec":{"template":{"spec":{"containers":[{"name":"server","image":"x:2"}]}}}}`)
	assert.Equal(t, "server=x:2 sidecar=busybox:1 ", team.MustRun(t, "get", "deploy", "llm", "-n", "default", "-o",
		`jsonpath={range .spec.template.spec.containers[*]}{.name}={.image} {end}`), "only the server container changes")
	team.MustRun(t, "label", "deploy", "llm", "-n", "default", "tier=gpu")
	assert.Equal(t, "gpu llm", team.MustRun(t, "get", "deploy", "llm", "-n", "default", "-o", "jsonpath={.metadata.labels.tier} {.metadata.labels.app}"))
	// kubectl's three-way patch removes a container the manifest no longer has, as against a cluster.
	team.WithStdin(strings.Replace(gpuDeployment, "image: vllm/vllm-openai:v0.6.0", "image: vllm/vllm-openai:v0.6.1", 1)).MustRun(t, "apply", "-f", "-")
	assert.Equal(t, "server=vllm/vllm-openai:v0.6.1 ", team.MustRun(t, "get", "deploy", "llm", "-n", "default", "-o",
		`jsonpath={range .spec.template.spec.containers[*]}{.name}={.image} {end}`), "the sidecar is gone")
	team.WithStdin(strings.Replace(gpuDeployment, "image: vllm/vllm-openai:v0.6.0", "image: vllm/vllm-openai:v0.6.2", 1)).
		MustRun(t, "apply", "--server-side", "--force-conflicts", "-f", "-")
	assert.Equal(t, "vllm/vllm-openai:v0.6.2", team.MustRun(t, "get", "deploy", "llm", "-n", "default", "-o", "jsonpath={.spec.template.spec.containers[0].image}"))
	_, errOut, err := team.WithStdin(strings.Replace(gpuDeployment, "replicas: 2", "replicas: many", 1)).Run("apply", "--server-side", "-f", "-")
	require.Error(t, err, "the cluster's schema validates")
	assert.Contains(t, errOut, "spec.replicas")

	t.Run("other custom resources refuse strategic merge patches", func(t *testing.T) {
		compute.WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).MustRun(t, "create", "-f", "-")
		team.WithStdin(bindingYAML("widgets", computePath)).MustRun(t, "create", "-f", "-")
		team.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
		team.WithStdin("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: my-widget}\nspec: {size: 2}\n").MustRun(t, "create", "-n", "default", "-f", "-")
		_, errOut, err := team.Run("patch", "widget", "my-widget", "-n", "default", "--type=strategic", "-p", `{"spec":{"size":3}}`)
		require.Error(t, err)
		assert.Contains(t, errOut, "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
		team.MustRun(t, "patch", "widget", "my-widget", "-n", "default", "--type=merge", "-p", `{"spec":{"size":3}}`)
	})

	t.Run("services of the core group, in the binding workspace only", func(t *testing.T) {
		team.WithStdin(llmService).MustRun(t, "apply", "-f", "-")
		assert.Contains(t, team.MustRun(t, "get", "svc", "-n", "default"), "llm")
		// A second client-side apply and kubectl patch merge the ports by port, with core/v1 Service's patch metadata.
		team.WithStdin(strings.Replace(llmService, "targetPort: 8000}", "targetPort: 8001}\n  - {name: metrics, port: 9090, targetPort: 9090}", 1)).
			MustRun(t, "apply", "-f", "-")
		team.MustRun(t, "patch", "service", "llm", "-n", "default", "-p", `{"spec":{"ports":[{"port":9090,"targetPort":9091}]}}`)
		assert.Equal(t, "http:80>8001/TCP metrics:9090>9091/TCP ", team.MustRun(t, "get", "services", "llm", "-n", "default", "-o",
			`jsonpath={range .spec.ports[*]}{.name}:{.port}>{.targetPort}/{.protocol} {end}`))
		assert.Contains(t, team.MustRun(t, "api-resources", "--api-group="), "services")
		assert.Contains(t, team.MustRun(t, "get", "--raw", "/clusters/"+teamPath+"/api/v1"), `"name":"services"`)
		team.MustRun(t, "create", "configmap", "plain", "-n", "default")
		assert.Equal(t, "configmap/plain", strings.TrimSpace(team.MustRun(t, "get", "configmap", "plain", "-n", "default", "-o", "name")), "Gantry's own core resources are served as before")

		otherPath, _ := s.CreateWorkspace(t, "root", "team-b")
		other := s.Kubectl(otherPath)
		_, errOut, err := other.Run("get", "--raw", "/clusters/"+otherPath+"/api/v1/namespaces/default/services/llm")
		require.Error(t, err)
		assert.Contains(t, errOut, "NotFound")
		_, errOut, err = other.Run("get", "svc", "-n", "default")
		require.Error(t, err)
		assert.Contains(t, errOut, `the server doesn't have a resource type "svc"`)
		assert.NotContains(t, other.MustRun(t, "get", "--raw", "/clusters/"+otherPath+"/api/v1"), `"name":"services"`)
		_, _, err = other.WithStdin(llmService).Run("apply", "-f", "-")
		require.Error(t, err, "workspace B cannot create services")
		assert.Equal(t, "8001", team.MustRun(t, "get", "svc", "llm", "-n", "default", "-o", "jsonpath={.spec.ports[0].targetPort}"))

		// Update, the status subresource and delete, through the core-group strategies; namespace deletion too.
		team.WithStdin(strings.Replace(llmService, "selector: {app: llm}", "selector: {app: llm2}", 1)).MustRun(t, "replace", "-f", "-")
		team.MustRun(t, "patch", "svc", "llm", "-n", "default", "--subresource=status", "--type=merge", "-p",
			`{"status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.1"}]}}}`)
		assert.Equal(t, "llm2 10.0.0.1", team.MustRun(t, "get", "svc", "llm", "-n", "default", "-o",
			"jsonpath={.spec.selector.app} {.status.loadBalancer.ingress[0].ip}"))
		team.MustRun(t, "delete", "svc", "llm", "-n", "default")
		_, errOut, err = team.Run("get", "svc", "llm", "-n", "default")
		require.Error(t, err)
		assert.Contains(t, errOut, "NotFound")
		team.MustRun(t, "create", "namespace", "short")
		team.WithStdin(strings.Replace(llmService, "namespace: default", "namespace: short", 1)).MustRun(t, "apply", "-f", "-")
		team.MustRun(t, "delete", "namespace", "short", "--timeout=60s")
		assert.NotContains(t, team.MustRun(t, "get", "--raw", "/clusters/"+teamPath+"/api/v1/services"), `"name":"llm"`,
			"deleting the namespace deleted its service")
	})

	t.Run("bad input", func(t *testing.T) {
		_, errOut, err := shell.Run("gantry", "import-apis", "--from-kubeconfig", downstream.Kubeconfig(), "gadgets.example.com")
		require.Error(t, err)
		assert.Contains(t, errOut, `no API group "example.com"`)
	})
}
