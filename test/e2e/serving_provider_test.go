package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/servingprovider"
	"github.com/gantry-dev/gantry/test/harness"
)

// servingFixture holds the server with the serving provider and the workspaces the subtests of TestServingProvider
// share: two ML teams (alice admin of team-a, bob of team-b) and a plain team workspace (carol its admin).
type servingFixture struct {
	s                   *harness.Server
	teamA, teamB, plain string
}

// kubectlUntil runs kubectl until its output contains want, or fails after a generous timeout.
func kubectlUntil(t *testing.T, k *harness.Kubectl, want string, args ...string) string {
	t.Helper()
	var out, errOut string
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 90*time.Second, true, func(context.Context) (bool, error) {
		var err error
		out, errOut, err = k.Run(args...)
		return err == nil && strings.Contains(out, want), nil
	})
	require.NoError(t, err, "kubectl %s never printed %q; last stdout: %s stderr: %s", strings.Join(args, " "), want, out, errOut)
	return out
}

// mlTeam creates a workspace of type ml-team in parent, as the admin, and makes user its admin.
func (f *servingFixture) mlTeam(t *testing.T, parent, name, user string) string {
	t.Helper()
	f.s.Kubectl(parent).WithStdin("apiVersion: tenancy.gantry.dev/v1alpha1\nkind: Workspace\nmetadata: {name: "+name+
		"}\nspec: {type: ml-team}\n").MustRun(t, "create", "-f", "-")
	path, _ := f.s.WaitWorkspaceReady(t, parent, name)
	f.s.Kubectl(path).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user="+user)
	return path
}

func TestServingProvider(t *testing.T) {
	s, _ := startWithUsers(t, harness.WithServingProvider)
	f := &servingFixture{s: s}
	s.WaitWorkspaceReady(t, servingprovider.ParentPath, servingprovider.WorkspaceName)
	org, _ := s.CreateWorkspace(t, "root", "org")
	f.teamA = f.mlTeam(t, org, "team-a", "alice")
	f.teamB = f.mlTeam(t, org, "team-b", "bob")
	f.plain, _ = s.CreateWorkspace(t, org, "plain")
	s.Kubectl(f.plain).MustRun(t, "create", "clusterrolebinding", "team-admin", "--clusterrole=admin", "--user=carol")

	t.Run("root:serving publishes the schemas, the export and the built-in runtimes", func(t *testing.T) { testServingPublished(t, f) })
	t.Run("an ml-team workspace has the APIs", func(t *testing.T) { testMLTeamHasAPIs(t, f) })
	t.Run("Models and InferenceServices are applied and shown", func(t *testing.T) { testServingApply(t, f) })
	t.Run("each validation rule refuses bad input with its message", func(t *testing.T) { testServingRulesRefuse(t, f) })
	t.Run("team-b never sees team-a's objects", func(t *testing.T) { testServingIsolation(t, f) })
	t.Run("an ordinary user binds the export in a plain workspace", func(t *testing.T) { testServingBindByUser(t, f) })
	t.Run("a restart puts back edited and deleted runtimes and the export; bindings follow", func(t *testing.T) { testServingRestart(t, f) })
}

func testServingPublished(t *testing.T, f *servingFixture) {
	serving := f.s.Kubectl(servingprovider.Path)
	schemas, err := servingprovider.Schemas()
	require.NoError(t, err)
	var names []string
	for _, s := range schemas {
		names = append(names, s.Name)
	}
	got := kubectlUntil(t, serving, names[0], "get", "apiexport", servingprovider.ExportName, "-o", "jsonpath={.spec.latestResourceSchemas}")
	for _, name := range names {
		assert.Contains(t, got, name, "the export points at the schemas of this binary, named by their content")
	}
	out := kubectlUntil(t, serving, "vllm", "get", "servingruntimes", "-n", servingprovider.RuntimesNamespace)
	for _, row := range []string{`llamacpp\s+openai\s+true`, `oip\s+v2\s+false`, `triton\s+v2\s+true`, `vllm\s+openai\s+true`} {
		assert.Regexp(t, row, out)
	}
	assert.Equal(t, "true", serving.MustRun(t, "get", "servingruntime", "vllm", "-n", servingprovider.RuntimesNamespace,
		"-o", "jsonpath={.metadata.labels.serving\\.gantry\\.dev/builtin}"))
	assert.Equal(t, "Bound", serving.MustRun(t, "get", "apibinding", servingprovider.ExportName, "-o", "jsonpath={.status.phase}"),
		"root:serving binds its own export")
}

func testMLTeamHasAPIs(t *testing.T, f *servingFixture) {
	alice := f.s.KubectlAs(t, f.teamA, aliceToken)
	kubectlUntil(t, alice, "Bound", "get", "apibinding", servingprovider.ExportName, "-o", "jsonpath={.status.phase}")
	out := alice.MustRun(t, "api-resources", "--api-group=serving.gantry.dev")
	for _, row := range []string{`inferenceservicerevisions\s+isvcrev\s+serving.gantry.dev/v1alpha1\s+true\s+InferenceServiceRevision`,
		`inferenceservices\s+isvc\s+serving.gantry.dev/v1alpha1\s+true\s+InferenceService`,
		`models\s+serving.gantry.dev/v1alpha1\s+true\s+Model`,
		`servingruntimes\s+serving.gantry.dev/v1alpha1\s+true\s+ServingRuntime`} {
		assert.Regexp(t, row, out)
	}
	assert.Contains(t, alice.MustRun(t, "explain", "inferenceservice.spec.predictor.model.modelRef"), "follows a registered Model")
}

const servingModel = `apiVersion: serving.gantry.dev/v1alpha1
kind: Model
metadata: {name: llama, namespace: default}
spec:
  format: safetensors
  versions:
  - {name: v1, storageUri: "hf://meta-llama/Llama-3.1-8B", stage: Production}
  - {name: v2, storageUri: "hf://meta-llama/Llama-3.2-8B", stage: Staging}
`

// servingISVC is an InferenceService named name whose predictor is predictor (YAML flow).
func servingISVC(name, predictor string) string {
	return "apiVersion: serving.gantry.dev/v1alpha1\nkind: InferenceService\nmetadata: {name: " + name +
		", namespace: default}\nspec:\n  predictor: " + predictor + "\n"
}

func testServingApply(t *testing.T, f *servingFixture) {
	alice := f.s.KubectlAs(t, f.teamA, aliceToken)
	alice.WithStdin(servingModel).MustRun(t, "apply", "-f", "-")
	assert.Regexp(t, `llama\s+safetensors\s+v2\s+v1\s`, alice.MustRun(t, "get", "models"),
		"the printer columns show the format, the latest version and the version in Production")

	alice.WithStdin(servingISVC("chat", `{model: {modelRef: {name: llama, stage: Production}, runtime: vllm, resources: {limits: {nvidia.com/gpu: "1"}}}, gpuProduct: NVIDIA-H100-80GB-HBM3}`)).
		MustRun(t, "apply", "-f", "-")
	assert.Equal(t, "10", alice.MustRun(t, "get", "isvc", "chat", "-o", "jsonpath={.spec.revisionHistoryLimit}"), "defaulted")
	// The status is the operator's to write; written here by the admin, it shows in the printer columns.
	f.s.Kubectl(f.teamA).MustRun(t, "patch", "isvc", "chat", "-n", "default", "--subresource=status", "--type=merge", "-p",
		`{"status": {"health": {"state": "Degraded", "reason": "InsufficientGPU"}, "model": "llama:v1", "ready": "0/1", "url": "http://chat.default.example"}}`)
	assert.Regexp(t, `chat\s+Degraded\s+InsufficientGPU\s+llama:v1\s+0/1\s+http://chat.default.example\s`, alice.MustRun(t, "get", "isvc"))

	alice.WithStdin(`apiVersion: serving.gantry.dev/v1alpha1
kind: ServingRuntime
metadata: {name: my-vllm, namespace: default}
spec: {supportedModelFormats: [{name: safetensors}], image: example.com/vllm:dev, protocol: openai, gpu: true}
`).MustRun(t, "apply", "-f", "-")
	assert.Equal(t, "8080", alice.MustRun(t, "get", "servingruntime", "my-vllm", "-o", "jsonpath={.spec.port}"), "defaulted")
}

func testServingRulesRefuse(t *testing.T, f *servingFixture) {
	alice := f.s.KubectlAs(t, f.teamA, aliceToken)
	for _, tc := range []struct{ name, manifest, want string }{
		{"storageUri and modelRef", servingISVC("bad", `{model: {modelFormat: {name: onnx}, storageUri: "s3://b/m", modelRef: {name: llama, version: v1}}}`),
			"spec.predictor.model: Invalid value: set exactly one of storageUri (the model's files) or modelRef (a registered Model)"},
		{"neither storageUri nor modelRef", servingISVC("bad", `{model: {runtime: vllm}}`),
			"set exactly one of storageUri (the model's files) or modelRef (a registered Model)"},
		{"storageUri without a format", servingISVC("bad", `{model: {storageUri: "s3://b/m"}}`),
			"a model given by storageUri needs modelFormat.name (such as onnx or safetensors)"},
		{"version and stage", servingISVC("bad", `{model: {modelRef: {name: llama, version: v1, stage: Production}}}`),
			"spec.predictor.model.modelRef: Invalid value: set exactly one of version (a fixed version) or stage"},
		{"minReplicas above maxReplicas", servingISVC("bad", `{model: {modelRef: {name: llama, version: v1}}, minReplicas: 3, maxReplicas: 1}`),
			"spec.predictor: Invalid value: minReplicas must not be greater than maxReplicas"},
		{"an unknown format", servingISVC("bad", `{model: {modelFormat: {name: pickle}, storageUri: "s3://b/m"}}`),
			`spec.predictor.model.modelFormat.name: Unsupported value: "pickle": supported values: "pytorch", "safetensors"`},
		{"two Production versions", strings.Replace(servingModel, "stage: Staging", "stage: Production", 1),
			"spec.versions: Invalid value: at most one version may be in stage Production: move the current Production version to Staging or Archived first"},
		{"a version named twice", strings.Replace(servingModel, "name: v2", "name: v1", 1),
			`spec.versions[1]: Duplicate value: {"name":"v1"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, err := alice.WithStdin(tc.manifest).Run("apply", "-f", "-")
			require.Error(t, err)
			assert.Contains(t, errOut, tc.want)
			assert.Contains(t, errOut, "is invalid", "a Kubernetes Invalid status (422)")
		})
	}
	_, _, err := alice.Run("get", "isvc", "bad")
	require.Error(t, err, "nothing refused was stored")

	// A revision of a service that does not exist, so that the history controller, which records chat's own
	// revisions, leaves it alone.
	revision := `apiVersion: serving.gantry.dev/v1alpha1
kind: InferenceServiceRevision
metadata: {name: imported-1, namespace: default}
spec: {serviceName: imported, revision: 1, predictor: {model: {modelRef: {name: llama, version: v1}}}, author: alice, cause: spec changed}
`
	alice.WithStdin(revision).MustRun(t, "create", "-f", "-")
	_, errOut, err := alice.Run("patch", "isvcrev", "imported-1", "--type=merge", "-p", `{"spec": {"cause": "rollback to 3"}}`)
	require.Error(t, err)
	assert.Contains(t, errOut, "an InferenceServiceRevision is immutable: record a new revision instead")
	alice.MustRun(t, "label", "isvcrev", "imported-1", "note=kept", "--overwrite")
	assert.Equal(t, "spec changed", alice.MustRun(t, "get", "isvcrev", "imported-1", "-o", "jsonpath={.spec.cause}"))
}

func testServingIsolation(t *testing.T, f *servingFixture) {
	bob := f.s.KubectlAs(t, f.teamB, bobToken)
	kubectlUntil(t, bob, "Bound", "get", "apibinding", servingprovider.ExportName, "-o", "jsonpath={.status.phase}")
	for _, resource := range []string{"models", "isvc", "servingruntimes", "isvcrev"} {
		out, errOut, err := bob.Run("get", resource, "-A")
		require.NoError(t, err, errOut)
		assert.Empty(t, out, "team-b sees none of team-a's %s", resource)
		assert.Contains(t, errOut, "No resources found")
	}
	bob.WithStdin(servingISVC("chat", `{model: {modelFormat: {name: onnx}, storageUri: "s3://team-b/m"}, minReplicas: 2}`)).MustRun(t, "apply", "-f", "-")
	alice := f.s.KubectlAs(t, f.teamA, aliceToken)
	assert.Equal(t, "llama", alice.MustRun(t, "get", "isvc", "chat", "-o", "jsonpath={.spec.predictor.model.modelRef.name}"),
		"team-a's same-named service is untouched")
	bob.MustRun(t, "delete", "isvc", "chat")
	assert.Equal(t, "llama", alice.MustRun(t, "get", "isvc", "chat", "-o", "jsonpath={.spec.predictor.model.modelRef.name}"))
	_, errOut, err := f.s.KubectlAs(t, f.teamA, bobToken).Run("get", "models")
	require.Error(t, err)
	assert.Contains(t, errOut, `User "bob" cannot list resource "models" in API group "serving.gantry.dev"`)
}

func testServingBindByUser(t *testing.T, f *servingFixture) {
	carol := f.s.UserShell(t, f.plain, carolToken)
	_, errOut, err := carol.Run("get", "models")
	require.Error(t, err, "a plain workspace does not have the serving API")
	assert.Contains(t, errOut, `the server doesn't have a resource type "models"`)
	out := carol.MustRun(t, "gantry", "bind", "apiexport", servingprovider.Path+":"+servingprovider.ExportName)
	assert.Contains(t, out, "apibinding.apis.gantry.dev/serving bound:")
	carol.WithStdin(servingModel).MustRun(t, "apply", "-f", "-")
	assert.Regexp(t, `llama\s+safetensors\s+v2\s+v1\s`, carol.MustRun(t, "get", "models"))
}

// testServingRestart edits root:serving as a hand (or an older binary) would: a built-in runtime deleted, another
// edited, and the export pointed at an older Model schema, which lacks the Production column. Every binding follows
// the export; a restart puts everything back, and the bindings follow again.
func testServingRestart(t *testing.T, f *servingFixture) {
	serving := f.s.Kubectl(servingprovider.Path)
	ns := servingprovider.RuntimesNamespace
	serving.MustRun(t, "delete", "servingruntime", "oip", "-n", ns)
	serving.MustRun(t, "patch", "servingruntime", "vllm", "-n", ns, "--type=merge", "-p", `{"spec": {"image": "example.com/edited:1"}}`)
	require.Equal(t, "example.com/edited:1", serving.MustRun(t, "get", "servingruntime", "vllm", "-n", ns, "-o", "jsonpath={.spec.image}"))

	schemas, err := servingprovider.Schemas()
	require.NoError(t, err)
	var current []string
	var old *apisv1alpha1.APIResourceSchema
	for _, s := range schemas {
		current = append(current, s.Name)
		if s.Spec.Names.Plural == "models" {
			old = s.DeepCopy()
		}
	}
	require.NotNil(t, old)
	old.Name = "old.models.serving.gantry.dev"
	columns := old.Spec.Versions[0].AdditionalPrinterColumns
	old.Spec.Versions[0].AdditionalPrinterColumns = slices.DeleteFunc(columns, func(c apiextensionsv1.CustomResourceColumnDefinition) bool {
		return c.Name == "Production"
	})
	data, err := json.Marshal(old)
	require.NoError(t, err)
	serving.WithStdin(string(data)).MustRun(t, "create", "-f", "-")
	var older []string
	for _, name := range current {
		if strings.HasSuffix(name, ".models.serving.gantry.dev") {
			name = old.Name
		}
		older = append(older, name)
	}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"latestResourceSchemas": older}})
	require.NoError(t, err)
	serving.MustRun(t, "patch", "apiexport", servingprovider.ExportName, "--type=merge", "-p", string(patch))
	alice := f.s.KubectlAs(t, f.teamA, aliceToken)
	require.Eventually(t, func() bool {
		out, _, err := alice.Run("get", "models")
		return err == nil && strings.HasPrefix(out, "NAME") && !strings.Contains(out, "PRODUCTION")
	}, 90*time.Second, 200*time.Millisecond, "team-a follows the export to the older schema")

	f.s.Stop(syscall.SIGTERM)
	f.s.Restart()
	kubectlUntil(t, serving, "oip", "get", "servingruntime", "oip", "-n", ns, "-o", "name")
	kubectlUntil(t, serving, "docker.io/vllm/vllm-openai", "get", "servingruntime", "vllm", "-n", ns, "-o", "jsonpath={.spec.image}")
	kubectlUntil(t, serving, strings.Join(current, " "), "get", "apiexport", servingprovider.ExportName,
		"-o", `jsonpath={range .spec.latestResourceSchemas[*]}{@}{" "}{end}`)
	kubectlUntil(t, alice, "PRODUCTION", "get", "models")
	assert.Regexp(t, `llama\s+safetensors\s+v2\s+v1\s`, alice.MustRun(t, "get", "models"), "team-a's objects are served by the new schema")
	assert.Equal(t, "llama", alice.MustRun(t, "get", "isvc", "chat", "-o", "jsonpath={.spec.predictor.model.modelRef.name}"))
}

// TestServingProviderOff checks that the flag turns the provider off: no root:serving.
func TestServingProviderOff(t *testing.T) {
	s := harness.Start(t, "--serving-provider=false")
	s.CreateWorkspace(t, "root", "other") // the workspace controller has run
	_, errOut, err := s.Kubectl("root").Run("get", "workspace", servingprovider.WorkspaceName)
	require.Error(t, err)
	assert.Contains(t, errOut, `workspaces.tenancy.gantry.dev "serving" not found`)
}
