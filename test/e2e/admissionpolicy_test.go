package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/pkg/servingprovider"
	"github.com/gantry-dev/gantry/test/harness"
)

// policyYAML is a ValidatingAdmissionPolicy named name over resource of group, refusing what expression rejects
// with message, with extra spec fields (YAML lines indented by two spaces, may be empty).
func policyYAML(name, group, resource, expression, message, extra string) string {
	return `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: ` + name + `}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: ["` + group + `"], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [` + resource + `]}
  validations:
  - expression: "` + expression + `"
    message: "` + message + `"
` + extra
}

// policyBindingYAML binds policy with the given validationActions, and extra spec fields (indented by two spaces).
func policyBindingYAML(name, policy, actions, extra string) string {
	return `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: ` + name + `}
spec:
  policyName: ` + policy + `
  validationActions: [` + actions + `]
` + extra
}

// sizedWidget is a Widget of the example.com CRD (or binding) with spec.size and labels (YAML flow).
func sizedWidget(name, size, labels string) string {
	return "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: " + name + ", namespace: default, labels: " + labels +
		"}\nspec: {size: " + size + "}\n"
}

// createRefused creates manifest until the server refuses it with want in the message, as a policy takes effect
// once the server's index has seen it (milliseconds, but not at once).
func createRefused(t *testing.T, k *harness.Kubectl, manifest, want string) string {
	t.Helper()
	var errOut string
	err := wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
		var err error
		_, errOut, err = k.WithStdin(manifest).Run("create", "-f", "-")
		if err == nil {
			// Accepted before the policy applied: delete it and try again.
			k.WithStdin(manifest).MustRun(t, "delete", "-f", "-")
			return false, nil
		}
		return strings.Contains(errOut, want), nil
	})
	require.NoError(t, err, "never refused with %q; last stderr: %s", want, errOut)
	return errOut
}

// TestAdmissionPolicies covers ValidatingAdmissionPolicies per workspace: a CRD's objects in two sibling
// workspaces with same-named policies of different limits, a built-in resource, a bound resource, every
// validationAction and failurePolicy, parameters, type-checking warnings and the bad input kube-apiserver refuses.
func TestAdmissionPolicies(t *testing.T) {
	s, auditLog := startWithUsers(t)
	pathA, _ := s.CreateWorkspace(t, "root", "policy-a")
	pathB, _ := s.CreateWorkspace(t, "root", "policy-b")
	a, b := s.Kubectl(pathA), s.Kubectl(pathB)
	for _, k := range []*harness.Kubectl{a, b} {
		k.WithStdin(widgetCRD("integer")).MustRun(t, "apply", "-f", "-")
		k.MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=60s")
	}

	t.Run("served with legacy and aggregated discovery", func(t *testing.T) {
		out := a.MustRun(t, "api-resources", "--api-group=admissionregistration.k8s.io")
		assert.Regexp(t, `validatingadmissionpolicies\s+admissionregistration.k8s.io/v1\s+false\s+ValidatingAdmissionPolicy`, out)
		assert.Regexp(t, `validatingadmissionpolicybindings\s+admissionregistration.k8s.io/v1\s+false\s+ValidatingAdmissionPolicyBinding`, out)
		config, err := s.RESTConfig(pathA)
		require.NoError(t, err)
		client, err := rest.HTTPClientFor(config)
		require.NoError(t, err)
		get := func(path, accept string) (string, string) {
			req, err := http.NewRequest(http.MethodGet, config.Host+path, nil)
			require.NoError(t, err)
			req.Header.Set("Accept", accept)
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			return resp.Header.Get("Content-Type"), string(body)
		}
		_, legacy := get("/apis/admissionregistration.k8s.io/v1", "application/json")
		for _, name := range []string{"validatingadmissionpolicies", "validatingadmissionpolicies/status", "validatingadmissionpolicybindings",
			"mutatingadmissionpolicies", "mutatingadmissionpolicybindings"} {
			assert.Contains(t, legacy, `"name":"`+name+`"`, "legacy discovery")
		}
		contentType, aggregated := get("/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
		assert.Contains(t, contentType, "APIGroupDiscoveryList")
		assert.Contains(t, aggregated, `"resource":"validatingadmissionpolicies"`, "aggregated discovery")
		assert.Contains(t, aggregated, `"resource":"validatingadmissionpolicybindings"`, "aggregated discovery")
	})

	t.Run("same-named policies apply each in its own workspace", func(t *testing.T) {
		a.WithStdin(policyYAML("max-size", "example.com", "widgets", "object.spec.size <= 8", "size must be at most 8", "")).MustRun(t, "create", "-f", "-")
		a.WithStdin(policyBindingYAML("max-size", "max-size", "Deny", "")).MustRun(t, "create", "-f", "-")
		b.WithStdin(policyYAML("max-size", "example.com", "widgets", "object.spec.size <= 64", "size must be at most 64", "")).MustRun(t, "create", "-f", "-")
		b.WithStdin(policyBindingYAML("max-size", "max-size", "Deny", "")).MustRun(t, "create", "-f", "-")

		errOut := createRefused(t, a, sizedWidget("big", "16", "{}"), "size must be at most 8")
		assert.Contains(t, errOut, "ValidatingAdmissionPolicy 'max-size' with binding 'max-size' denied request: size must be at most 8")
		b.WithStdin(sizedWidget("big", "16", "{}")).MustRun(t, "create", "-f", "-")
		createRefused(t, b, sizedWidget("huge", "100", "{}"), "size must be at most 64")
		a.WithStdin(sizedWidget("small", "3", "{}")).MustRun(t, "create", "-f", "-")
		_, errOut, err := a.Run("patch", "widget", "small", "-n", "default", "--type=merge", "-p", `{"spec":{"size":9}}`)
		require.Error(t, err, "updates are checked too")
		assert.Contains(t, errOut, "size must be at most 8")

		// A third workspace without policies accepts anything.
		pathC, _ := s.CreateWorkspace(t, "root", "policy-c")
		c := s.Kubectl(pathC)
		c.WithStdin(widgetCRD("integer")).MustRun(t, "apply", "-f", "-")
		c.MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=60s")
		c.WithStdin(sizedWidget("huge", "1000", "{}")).MustRun(t, "create", "-f", "-")

		// Deleting A's binding lifts A's rule only.
		a.MustRun(t, "delete", "validatingadmissionpolicybinding", "max-size")
		require.NoError(t, wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
			_, _, err := a.WithStdin(sizedWidget("big", "16", "{}")).Run("create", "-f", "-")
			return err == nil, nil
		}))
		_, errOut, err = b.WithStdin(sizedWidget("huge", "100", "{}")).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, "size must be at most 64", "B's same-named policy still applies")
	})

	t.Run("a built-in resource, with Warn and Audit", func(t *testing.T) {
		a.WithStdin(policyYAML("cm-prefix", "", "configmaps", "object.metadata.name.startsWith('team-')", "configmaps are named team-*", "")).MustRun(t, "create", "-f", "-")
		a.WithStdin(policyBindingYAML("cm-prefix", "cm-prefix", "Deny", "")).MustRun(t, "create", "-f", "-")
		createRefused(t, a, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other, namespace: default}\n", "configmaps are named team-*")
		a.MustRun(t, "create", "configmap", "team-x", "-n", "default")
		b.MustRun(t, "create", "configmap", "other", "-n", "default")

		a.MustRun(t, "patch", "validatingadmissionpolicybinding", "cm-prefix", "--type=merge", "-p", `{"spec":{"validationActions":["Warn","Audit"]}}`)
		var errOut string
		require.NoError(t, wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
			var err error
			_, errOut, err = a.Run("create", "configmap", "warned", "-n", "default")
			if err != nil {
				return false, nil
			}
			if !strings.Contains(errOut, "Warning:") {
				a.MustRun(t, "delete", "configmap", "warned", "-n", "default")
				return false, nil
			}
			return true, nil
		}))
		assert.Contains(t, errOut, "Validation failed for ValidatingAdmissionPolicy 'cm-prefix' with binding 'cm-prefix': configmaps are named team-*")
		require.NoError(t, wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
			log, err := os.ReadFile(auditLog)
			return err == nil && strings.Contains(string(log), `"validation.policy.admission.k8s.io/validation_failure"`) &&
				strings.Contains(string(log), `\"policy\":\"cm-prefix\"`), nil
		}), "the Audit action records the failure in the audit log")
	})

	t.Run("a binding to a missing policy has no effect until the policy exists", func(t *testing.T) {
		a.WithStdin(policyBindingYAML("later", "later", "Deny", "")).MustRun(t, "create", "-f", "-")
		a.WithStdin(sizedWidget("before", "50", "{}")).MustRun(t, "create", "-f", "-")
		a.WithStdin(policyYAML("later", "example.com", "widgets", "object.spec.size < 40", "size must be below 40", "")).MustRun(t, "create", "-f", "-")
		createRefused(t, a, sizedWidget("after", "50", "{}"), "size must be below 40")
		a.MustRun(t, "delete", "validatingadmissionpolicy", "later")
		a.MustRun(t, "delete", "validatingadmissionpolicybinding", "later")
	})

	t.Run("failurePolicy decides when an expression fails at runtime", func(t *testing.T) {
		// Division by zero fails for every object; each binding applies to objects labeled for it.
		for _, fp := range []string{"Fail", "Ignore"} {
			name := "divide-" + strings.ToLower(fp)
			a.WithStdin(policyYAML(name, "example.com", "widgets", "1 / (object.spec.size - object.spec.size) == 1", "never", "  failurePolicy: "+fp+"\n")).
				MustRun(t, "create", "-f", "-")
			a.WithStdin(policyBindingYAML(name, name, "Deny", "  matchResources:\n    objectSelector: {matchLabels: {failure: "+fp+"}}\n")).MustRun(t, "create", "-f", "-")
		}
		errOut := createRefused(t, a, sizedWidget("fails", "1", "{failure: Fail}"), "divide-fail")
		assert.Contains(t, errOut, "division by zero")
		a.WithStdin(sizedWidget("ignored", "1", "{failure: Ignore}")).MustRun(t, "create", "-f", "-")
	})

	t.Run("parameters are read from the policy's workspace", func(t *testing.T) {
		for _, k := range []*harness.Kubectl{a, b} {
			k.WithStdin(policyYAML("max-from-params", "example.com", "widgets", "object.spec.size <= int(params.data.max)", "size above the limit",
				"  paramKind: {apiVersion: v1, kind: ConfigMap}\n")).MustRun(t, "create", "-f", "-")
			k.WithStdin(policyBindingYAML("max-from-params", "max-from-params", "Deny",
				"  paramRef: {name: limits, namespace: default, parameterNotFoundAction: Deny}\n  matchResources:\n    objectSelector: {matchLabels: {limited: \"yes\"}}\n")).
				MustRun(t, "create", "-f", "-")
		}
		errOut := createRefused(t, b, sizedWidget("no-params", "1", "{limited: \"yes\"}"), "no params found")
		assert.Contains(t, errOut, "max-from-params", "parameterNotFoundAction Deny")
		// A's cm-prefix rule only warns by now.
		a.MustRun(t, "create", "configmap", "limits", "-n", "default", "--from-literal=max=5")
		b.MustRun(t, "create", "configmap", "limits", "-n", "default", "--from-literal=max=50")
		createRefused(t, a, sizedWidget("limited", "20", "{limited: \"yes\"}"), "size above the limit")
		b.WithStdin(sizedWidget("limited", "20", "{limited: \"yes\"}")).MustRun(t, "create", "-f", "-")
	})

	t.Run("mutating policies change objects in their own workspace only", func(t *testing.T) {
		a.WithStdin(`apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata: {name: clamp}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [example.com], apiVersions: [v1], operations: [CREATE], resources: [widgets]}
  matchConditions:
  - {name: too-big, expression: "object.spec.size > 8"}
  mutations:
  - patchType: ApplyConfiguration
    applyConfiguration: {expression: "Object{spec: Object.spec{size: 8}}"}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicyBinding
metadata: {name: clamp}
spec: {policyName: clamp}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata: {name: team-label}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
  mutations:
  - patchType: JSONPatch
    jsonPatch:
      expression: >-
        has(object.metadata.labels) ? [JSONPatch{op: "add", path: "/metadata/labels/team", value: "a"}]
        : [JSONPatch{op: "add", path: "/metadata/labels", value: {"team": "a"}}]
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicyBinding
metadata: {name: team-label}
spec: {policyName: team-label}
`).MustRun(t, "create", "-f", "-")
		assert.Equal(t, "Never", a.MustRun(t, "get", "mutatingadmissionpolicy", "clamp", "-o", "jsonpath={.spec.reinvocationPolicy}"), "defaulted")
		require.NoError(t, wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
			a.WithStdin(sizedWidget("clamped", "20", "{}")).MustRun(t, "create", "-f", "-")
			size := a.MustRun(t, "get", "widget", "clamped", "-n", "default", "-o", "jsonpath={.spec.size}")
			if size != "8" {
				a.MustRun(t, "delete", "widget", "clamped", "-n", "default")
				return false, nil
			}
			return true, nil
		}), "a CRD's object is mutated by an apply configuration")
		b.WithStdin(sizedWidget("clamped", "20", "{}")).MustRun(t, "create", "-f", "-")
		assert.Equal(t, "20", b.MustRun(t, "get", "widget", "clamped", "-n", "default", "-o", "jsonpath={.spec.size}"), "not in the sibling")

		require.NoError(t, wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
			a.MustRun(t, "create", "configmap", "team-labeled", "-n", "default")
			if a.MustRun(t, "get", "configmap", "team-labeled", "-n", "default", "-o", "jsonpath={.metadata.labels.team}") != "a" {
				a.MustRun(t, "delete", "configmap", "team-labeled", "-n", "default")
				return false, nil
			}
			return true, nil
		}), "a built-in object is mutated by a JSON patch")
		b.MustRun(t, "create", "configmap", "team-labeled", "-n", "default")
		assert.Equal(t, "", b.MustRun(t, "get", "configmap", "team-labeled", "-n", "default", "-o", "jsonpath={.metadata.labels.team}"))

		_, errOut, err := a.WithStdin(`apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata: {name: broken}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
  mutations:
  - patchType: JSONPatch
    jsonPatch: {expression: "[JSONPatch{op: "}
  - patchType: Merge
`).Run("create", "-f", "-")
		require.Error(t, err)
		assert.Contains(t, errOut, "spec.mutations[0].jsonPatch.expression: Invalid value")
		assert.Contains(t, errOut, `spec.mutations[1].patchType: Unsupported value: "Merge"`)
	})

	t.Run("type-checking warnings in the status, compile errors refused", func(t *testing.T) {
		// Upstream type-checks against named versions only, not "*".
		typo := strings.Replace(policyYAML("typo", "example.com", "widgets", "object.spec.sise <= 8", "typo", ""), `apiVersions: ["*"]`, `apiVersions: [v1]`, 1)
		a.WithStdin(typo).MustRun(t, "create", "-f", "-")
		require.NoError(t, wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
			out, _, err := a.Run("get", "validatingadmissionpolicy", "typo", "-o", "jsonpath={.status.observedGeneration}")
			return err == nil && out == "1", nil
		}))
		assert.Equal(t, "spec.validations[0].expression",
			a.MustRun(t, "get", "validatingadmissionpolicy", "typo", "-o", "jsonpath={.status.typeChecking.expressionWarnings[0].fieldRef}"))
		assert.Contains(t, a.MustRun(t, "get", "validatingadmissionpolicy", "typo", "-o", "jsonpath={.status.typeChecking.expressionWarnings[0].warning}"),
			"undefined field 'sise'")
		assert.Equal(t, "", a.MustRun(t, "get", "validatingadmissionpolicy", "max-size", "-o", "jsonpath={.status.typeChecking.expressionWarnings}"),
			"a correct policy has no warning")
		assert.Equal(t, "Fail", a.MustRun(t, "get", "validatingadmissionpolicy", "typo", "-o", "jsonpath={.spec.failurePolicy}"), "defaulted")

		for _, bad := range []struct{ manifest, want string }{
			{policyYAML("broken", "example.com", "widgets", "object.spec.size <=", "broken", ""), "compilation failed"},
			{policyYAML("broken", "example.com", "widgets", "nosuchvariable > 1", "broken", ""), "undeclared reference to 'nosuchvariable'"},
			{policyYAML("broken", "example.com", "widgets", "params.x == 1", "broken", ""), "undeclared reference to 'params'"},
			{policyYAML("broken", "example.com", "widgets", "true", "broken", "  failurePolicy: Sometimes\n"), `spec.failurePolicy: Unsupported value: "Sometimes"`},
			{strings.Replace(policyYAML("broken", "example.com", "widgets", "true", "broken", ""), "operations: [CREATE, UPDATE]", "operations: [EXPLODE]", 1), `Unsupported value: "EXPLODE"`},
			{policyBindingYAML("broken", "max-size", "", ""), "spec.validationActions: Required value"},
			{policyBindingYAML("broken", "max-size", "Deny, Warn", ""), "must not contain both Deny and Warn"},
			{policyBindingYAML("broken", "", "Deny", ""), "spec.policyName: Required value"},
			{policyBindingYAML("broken", "max-size", "Deny", "  paramRef: {name: x}\n"), "spec.paramRef.parameterNotFoundAction: Required value"},
		} {
			_, errOut, err := a.WithStdin(bad.manifest).Run("create", "-f", "-")
			require.Error(t, err, bad.manifest)
			assert.Contains(t, errOut, "is invalid", bad.manifest)
			assert.Contains(t, errOut, bad.want, bad.manifest)
		}
	})
}

// TestAdmissionPolicyBoundInferenceService is the platform owner's use: a policy refusing InferenceServices (a
// bound resource of the serving provider's export) above 8 GPUs in one team's workspace and not in its sibling, and
// "images only from our registry" on ServingRuntimes.
func TestAdmissionPolicyBoundInferenceService(t *testing.T) {
	s := harness.Start(t, harness.WithServingProvider)
	s.WaitServingProvider(t)
	f := &servingFixture{s: s}
	org, _ := s.CreateWorkspace(t, "root", "org")
	teamA := f.mlTeam(t, org, "team-a", "alice")
	teamB := f.mlTeam(t, org, "team-b", "bob")
	a, b := s.Kubectl(teamA), s.Kubectl(teamB)
	for _, k := range []*harness.Kubectl{a, b} {
		kubectlUntil(t, k, "Bound", "get", "apibinding", servingprovider.ExportName, "-o", "jsonpath={.status.phase}")
		k.WithStdin(servingModel).MustRun(t, "apply", "-f", "-")
	}
	a.WithStdin(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: gpu-limit}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [serving.gantry.dev], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [inferenceservices]}
  variables:
  - name: limits
    expression: "has(object.spec.predictor.model.resources) && has(object.spec.predictor.model.resources.limits) ? object.spec.predictor.model.resources.limits : {}"
  validations:
  - expression: "!('nvidia.com/gpu' in variables.limits) || int(string(variables.limits['nvidia.com/gpu'])) <= 8"
    messageExpression: "'an InferenceService may use at most 8 GPUs, not ' + string(variables.limits['nvidia.com/gpu'])"
    reason: Forbidden
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: gpu-limit}
spec: {policyName: gpu-limit, validationActions: [Deny]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: our-registry}
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [serving.gantry.dev], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [servingruntimes]}
  validations:
  - expression: "object.spec.image.startsWith('registry.example.com/')"
    message: "images only from registry.example.com"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: our-registry}
spec: {policyName: our-registry, validationActions: [Deny]}
`).MustRun(t, "create", "-f", "-")

	big := servingISVC("big", `{model: {modelRef: {name: llama, stage: Production}, runtime: vllm, resources: {limits: {nvidia.com/gpu: "16"}}}}`)
	errOut := createRefused(t, a, big, "an InferenceService may use at most 8 GPUs, not 16")
	assert.Contains(t, errOut, "ValidatingAdmissionPolicy 'gpu-limit' with binding 'gpu-limit' denied request")
	assert.Contains(t, errOut, "forbidden", "the reason the policy gives")
	b.WithStdin(big).MustRun(t, "create", "-f", "-")
	a.WithStdin(servingISVC("small", `{model: {modelRef: {name: llama, stage: Production}, runtime: vllm, resources: {limits: {nvidia.com/gpu: "8"}}}}`)).
		MustRun(t, "create", "-f", "-")

	runtime := func(name, image string) string {
		return "apiVersion: serving.gantry.dev/v1alpha1\nkind: ServingRuntime\nmetadata: {name: " + name + ", namespace: default}\n" +
			"spec: {supportedModelFormats: [{name: safetensors}], image: " + image + ", protocol: openai, gpu: true}\n"
	}
	createRefused(t, a, runtime("elsewhere", "docker.io/vllm/vllm:latest"), "images only from registry.example.com")
	a.WithStdin(runtime("ours", "registry.example.com/vllm:1")).MustRun(t, "create", "-f", "-")
	b.WithStdin(runtime("elsewhere", "docker.io/vllm/vllm:latest")).MustRun(t, "create", "-f", "-")
}

// guardedTypeYAML is a WorkspaceType whose workspaces get a policy limiting ConfigMaps to maxKeys keys.
func guardedTypeYAML(name, expression string) string {
	return `apiVersion: tenancy.gantry.dev/v1alpha1
kind: WorkspaceType
metadata: {name: ` + name + `}
spec:
  defaultAdmissionPolicies:
  - name: small-configmaps
    validationActions: [Deny]
    policy:
      matchConstraints:
        resourceRules:
        - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [configmaps]}
      validations:
      - expression: "` + expression + `"
        message: "ConfigMaps of this workspace type hold at most 2 keys"
`
}

// TestWorkspaceTypeDefaultPolicies checks the platform owner's lever: a WorkspaceType's default policies are created
// in every new workspace of the type, before it is Ready, and in no other workspace.
func TestWorkspaceTypeDefaultPolicies(t *testing.T) {
	s := harness.Start(t)
	// A universal workspace allows children of any type, those it defines included.
	s.Kubectl("root").WithStdin(workspaceYAML("platform", "universal")).MustRun(t, "create", "-f", "-")
	platform, _ := s.WaitWorkspaceReady(t, "root", "platform")
	p := s.Kubectl(platform)
	_, errOut, err := p.WithStdin(guardedTypeYAML("broken", "size(object.data) <=")).Run("create", "-f", "-")
	require.Error(t, err, "a type whose policy does not compile would leave its workspaces without it")
	assert.Contains(t, errOut, "spec.defaultAdmissionPolicies[0].policy.validations[0].expression: Invalid value")
	assert.Contains(t, errOut, "compilation failed")

	p.WithStdin(guardedTypeYAML("guarded", "size(object.data) <= 2")).MustRun(t, "create", "-f", "-")
	p.WithStdin(workspaceYAML("guarded-a", "guarded")).MustRun(t, "create", "-f", "-")
	p.WithStdin(workspaceYAML("open-b", "universal")).MustRun(t, "create", "-f", "-")
	guardedPath, _ := s.WaitWorkspaceReady(t, platform, "guarded-a")
	openPath, _ := s.WaitWorkspaceReady(t, platform, "open-b")
	guarded, open := s.Kubectl(guardedPath), s.Kubectl(openPath)

	assert.Equal(t, "true", guarded.MustRun(t, "get", "validatingadmissionpolicy", "small-configmaps",
		"-o", "jsonpath={.metadata.labels.tenancy\\.gantry\\.dev/from-workspacetype}"))
	assert.Equal(t, "[\"Deny\"]", guarded.MustRun(t, "get", "validatingadmissionpolicybinding", "small-configmaps", "-o", "jsonpath={.spec.validationActions}"))
	threeKeys := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: default}\ndata: {a: '1', b: '2', c: '3'}\n"
	createRefused(t, guarded, threeKeys, "ConfigMaps of this workspace type hold at most 2 keys")
	open.WithStdin(threeKeys).MustRun(t, "create", "-f", "-")
	assert.Empty(t, open.MustRun(t, "get", "validatingadmissionpolicies", "-o", "name"), "a workspace of another type gets none")
	assert.Empty(t, p.MustRun(t, "get", "validatingadmissionpolicies", "-o", "name"), "nor does the type's own workspace")
}
