package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
)

// webhookCall is one AdmissionReview a test webhook server got: the path it was sent to (which webhook) and what it
// was about.
type webhookCall struct {
	path, operation, resource, namespace, name string
}

// webhookServer is a real TLS webhook server (httptest's, its CA in each configuration's caBundle) whose paths
// behave differently: /deny refuses objects named bad-*, /patch labels every object, /second and /first label it
// (see there), /slow answers after 3s, and any other path allows. It records every call.
type webhookServer struct {
	*httptest.Server
	caBundle string // base64 of the PEM, as a manifest holds it
	mu       sync.Mutex
	calls    []webhookCall
}

func newWebhookServer(t *testing.T) *webhookServer {
	w := &webhookServer{}
	w.Server = httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var review admissionv1.AdmissionReview
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
			http.Error(rw, "not an AdmissionReview", http.StatusBadRequest)
			return
		}
		req := review.Request
		w.mu.Lock()
		w.calls = append(w.calls, webhookCall{path: r.URL.Path, operation: string(req.Operation), resource: req.Resource.Resource,
			namespace: req.Namespace, name: req.Name})
		w.mu.Unlock()
		resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
		switch r.URL.Path {
		case "/deny":
			if strings.HasPrefix(req.Name, "bad-") {
				resp.Allowed = false
				resp.Result = &metav1.Status{Code: http.StatusForbidden, Message: "objects named bad-* are refused by the team's webhook"}
			}
		case "/patch":
			patchType := admissionv1.PatchTypeJSONPatch
			resp.PatchType = &patchType
			resp.Patch = []byte(`[{"op":"add","path":"/metadata/labels","value":{"stamped-by":"webhook-a"}}]`)
		case "/second", "/first":
			// /second labels the object second=yes; /first labels it first-saw-second=yes once second=yes is there.
			var obj metav1.PartialObjectMetadata
			_ = json.Unmarshal(req.Object.Raw, &obj)
			label := "second"
			if r.URL.Path == "/first" {
				label = "first-saw-second"
			}
			if r.URL.Path == "/second" || obj.Labels["second"] == "yes" {
				patchType := admissionv1.PatchTypeJSONPatch
				resp.PatchType = &patchType
				resp.Patch = []byte(`[{"op":"add","path":"/metadata/labels/` + label + `","value":"yes"}]`)
			}
		case "/slow":
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
		}
		review.Response, review.Request = resp, nil
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(&review)
	}))
	t.Cleanup(w.Close)
	w.caBundle = base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.Certificate().Raw}))
	return w
}

// callsOf returns the calls whose object is named with prefix.
func (w *webhookServer) callsOf(prefix string) []webhookCall {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []webhookCall
	for _, c := range w.calls {
		if strings.HasPrefix(c.name, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// webhookYAML is a Validating- or MutatingWebhookConfiguration (kind) named name with one webhook calling url over
// the creation of resources (a YAML flow list) of group, with extra webhook fields (YAML lines indented by four
// spaces, may be empty).
func webhookYAML(kind, name, url, caBundle, group, resources, extra string) string {
	return `apiVersion: admissionregistration.k8s.io/v1
kind: ` + kind + `
metadata: {name: ` + name + `}
webhooks:
  - name: ` + name + `.webhooks.example.com
    clientConfig: {url: "` + url + `", caBundle: "` + caBundle + `"}
    rules:
    - {apiGroups: ["` + group + `"], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: ` + resources + `}
    sideEffects: None
    admissionReviewVersions: [v1]
` + extra
}

// configMapYAML is a ConfigMap in namespace with labels (YAML flow).
func configMapYAML(name, namespace, labels string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + ", namespace: " + namespace + ", labels: " + labels + "}\n"
}

// TestAdmissionWebhooks covers ValidatingWebhookConfigurations and MutatingWebhookConfigurations per workspace,
// with real kubectl and client-go against a real gantry calling real TLS webhook servers: discovery and tables,
// defaults, refused input, deny, patch, a custom resource, namespaceSelector, failurePolicy on an unreachable URL
// and on a timeout, the exemption of the configurations themselves, and that a webhook of workspace A never
// receives or affects a request of its sibling B.
func TestAdmissionWebhooks(t *testing.T) {
	s := harness.Start(t)
	pathA, _ := s.CreateWorkspace(t, "root", "webhook-a")
	pathB, _ := s.CreateWorkspace(t, "root", "webhook-b")
	a, b := s.Kubectl(pathA), s.Kubectl(pathB)
	kubeA, _ := s.Clients(t, pathA)
	kubeB, _ := s.Clients(t, pathB)
	hooks := newWebhookServer(t)
	ctx := context.Background()

	t.Run("served with legacy and aggregated discovery, and kubectl's columns", func(t *testing.T) {
		out := a.MustRun(t, "api-resources", "--api-group=admissionregistration.k8s.io")
		assert.Regexp(t, `validatingwebhookconfigurations\s+admissionregistration.k8s.io/v1\s+false\s+ValidatingWebhookConfiguration`, out)
		assert.Regexp(t, `mutatingwebhookconfigurations\s+admissionregistration.k8s.io/v1\s+false\s+MutatingWebhookConfiguration`, out)
		resources, err := kubeA.Discovery().ServerResourcesForGroupVersion("admissionregistration.k8s.io/v1")
		require.NoError(t, err)
		verbs := map[string][]string{}
		for _, r := range resources.APIResources {
			verbs[r.Name] = r.Verbs
		}
		for _, name := range []string{"validatingwebhookconfigurations", "mutatingwebhookconfigurations"} {
			assert.ElementsMatch(t, []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}, verbs[name], name)
		}
		_, aggregated, err := kubeA.Discovery().ServerGroupsAndResources()
		require.NoError(t, err)
		found := 0
		for _, list := range aggregated {
			if list.GroupVersion == "admissionregistration.k8s.io/v1" {
				for _, r := range list.APIResources {
					if r.Name == "validatingwebhookconfigurations" || r.Name == "mutatingwebhookconfigurations" {
						found++
					}
				}
			}
		}
		assert.Equal(t, 2, found, "discovery as client-go reads it")
		config, err := s.RESTConfig(pathA)
		require.NoError(t, err)
		client, err := rest.HTTPClientFor(config)
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodGet, config.Host+"/apis", nil)
		require.NoError(t, err)
		req.Header.Set("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
		resp, err := client.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Contains(t, resp.Header.Get("Content-Type"), "APIGroupDiscoveryList")
		assert.Contains(t, string(body), `"resource":"validatingwebhookconfigurations"`, "aggregated discovery")
		assert.Contains(t, string(body), `"resource":"mutatingwebhookconfigurations"`, "aggregated discovery")

		a.WithStdin(webhookYAML("ValidatingWebhookConfiguration", "listed", hooks.URL+"/allow", hooks.caBundle, "", "[secrets]", "")).MustRun(t, "create", "-f", "-")
		out = a.MustRun(t, "get", "validatingwebhookconfigurations")
		assert.Regexp(t, `NAME\s+WEBHOOKS\s+AGE`, out)
		assert.Regexp(t, `listed\s+1\s+`, out)
		assert.Empty(t, b.MustRun(t, "get", "validatingwebhookconfigurations", "-o", "name"), "B does not see A's")
		a.MustRun(t, "delete", "validatingwebhookconfiguration", "listed")
	})

	t.Run("defaults as Kubernetes sets them", func(t *testing.T) {
		a.WithStdin(webhookYAML("MutatingWebhookConfiguration", "defaults", hooks.URL+"/allow", hooks.caBundle, "", "[secrets]", "")).MustRun(t, "create", "-f", "-")
		got, err := kubeA.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, "defaults", metav1.GetOptions{})
		require.NoError(t, err)
		h := got.Webhooks[0]
		assert.Equal(t, admissionregistrationv1.Fail, *h.FailurePolicy)
		assert.Equal(t, admissionregistrationv1.Equivalent, *h.MatchPolicy)
		assert.Equal(t, &metav1.LabelSelector{}, h.NamespaceSelector)
		assert.Equal(t, &metav1.LabelSelector{}, h.ObjectSelector)
		assert.Equal(t, int32(10), *h.TimeoutSeconds)
		assert.Equal(t, admissionregistrationv1.NeverReinvocationPolicy, *h.ReinvocationPolicy)
		assert.Equal(t, admissionregistrationv1.AllScopes, *h.Rules[0].Scope)
		require.NoError(t, kubeA.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, "defaults", metav1.DeleteOptions{}))
	})

	t.Run("bad input is refused with 422 and the field", func(t *testing.T) {
		none := admissionregistrationv1.SideEffectClassNone
		path := "/validate"
		byService := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "by-service"},
			Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: "by-service.webhooks.example.com", SideEffects: &none,
				AdmissionReviewVersions: []string{"v1"},
				ClientConfig:            admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "default", Name: "hook", Path: &path}}}}}
		_, err := kubeA.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, byService, metav1.CreateOptions{})
		require.Error(t, err)
		assert.True(t, apierrors.IsInvalid(err), "422 Invalid: %v", err)
		assert.Equal(t, int32(http.StatusUnprocessableEntity), err.(apierrors.APIStatus).Status().Code)
		assert.Contains(t, err.Error(), "webhooks[0].clientConfig.service: Forbidden: a workspace has no cluster network")
		assert.Contains(t, err.Error(), "use clientConfig.url")

		for _, c := range []struct{ manifest, want string }{
			{webhookYAML("ValidatingWebhookConfiguration", "plain-http", "http://127.0.0.1:1/x", "", "", "[secrets]", ""),
				`webhooks[0].clientConfig.url: Invalid value: "http": 'https' is the only allowed URL scheme`},
			{webhookYAML("MutatingWebhookConfiguration", "slow", hooks.URL, hooks.caBundle, "", "[secrets]", "    timeoutSeconds: 31\n"),
				"webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds"},
			{webhookYAML("ValidatingWebhookConfiguration", "bad-cel", hooks.URL, hooks.caBundle, "", "[secrets]",
				"    matchConditions:\n    - {name: broken, expression: \"request.name ==\"}\n"), "webhooks[0].matchConditions[0].expression: Invalid value"},
			{strings.Replace(webhookYAML("ValidatingWebhookConfiguration", "no-effects", hooks.URL, hooks.caBundle, "", "[secrets]", ""), "    sideEffects: None\n", "", 1),
				"webhooks[0].sideEffects: Required value"},
		} {
			_, errOut, err := a.WithStdin(c.manifest).Run("create", "-f", "-")
			require.Error(t, err, c.want)
			assert.Contains(t, errOut, c.want)
		}
		assert.Empty(t, a.MustRun(t, "get", "validatingwebhookconfigurations,mutatingwebhookconfigurations", "-o", "name"), "nothing refused was stored")
	})

	t.Run("deny in A, never called for B", func(t *testing.T) {
		a.WithStdin(webhookYAML("ValidatingWebhookConfiguration", "deny-bad", hooks.URL+"/deny", hooks.caBundle, "", "[configmaps]", "")).MustRun(t, "create", "-f", "-")
		errOut := createRefused(t, a, configMapYAML("bad-a", "default", "{}"), "objects named bad-* are refused by the team's webhook")
		assert.Contains(t, errOut, `admission webhook "deny-bad.webhooks.example.com" denied the request`)
		_, err := kubeA.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "good-a"}}, metav1.CreateOptions{})
		require.NoError(t, err, "the webhook allows other names")

		// B writes the very names A refuses, by kubectl and by client-go: accepted, and A's webhook never hears of them.
		b.WithStdin(configMapYAML("bad-from-b", "default", "{}")).MustRun(t, "create", "-f", "-")
		_, err = kubeB.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "bad-from-b-2"}}, metav1.CreateOptions{})
		require.NoError(t, err)
		b.MustRun(t, "label", "configmap", "bad-from-b", "-n", "default", "x=y")
		assert.Empty(t, hooks.callsOf("bad-from-b"), "A's webhook received none of B's requests")
		assert.NotEmpty(t, hooks.callsOf("bad-a"))
		assert.NotEmpty(t, hooks.callsOf("good-a"))
	})

	t.Run("a custom resource and a namespaceSelector resolved in the workspace", func(t *testing.T) {
		for _, k := range []*harness.Kubectl{a, b} {
			k.WithStdin(widgetCRD("integer")).MustRun(t, "apply", "-f", "-")
			k.MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=60s")
			// The same namespace, labeled alike, in both workspaces.
			k.MustRun(t, "create", "namespace", "guarded")
			k.MustRun(t, "label", "namespace", "guarded", "webhooks=on")
		}
		a.WithStdin(webhookYAML("ValidatingWebhookConfiguration", "deny-widgets", hooks.URL+"/deny", hooks.caBundle, "example.com", "[widgets]",
			"    namespaceSelector: {matchLabels: {webhooks: \"on\"}}\n")).MustRun(t, "create", "-f", "-")
		widget := func(name, namespace string) string {
			return "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: " + name + ", namespace: " + namespace + "}\nspec: {size: 1}\n"
		}
		createRefused(t, a, widget("bad-widget-a", "guarded"), "objects named bad-* are refused by the team's webhook")
		a.WithStdin(widget("bad-widget-a", "default")).MustRun(t, "create", "-f", "-")
		b.WithStdin(widget("bad-widget-b", "guarded")).MustRun(t, "create", "-f", "-")
		assert.Empty(t, hooks.callsOf("bad-widget-b"))
		calls := hooks.callsOf("bad-widget-a")
		require.NotEmpty(t, calls)
		for _, c := range calls {
			assert.Equal(t, "guarded", c.namespace, "only namespaces labeled in A are matched: %+v", c)
			assert.Equal(t, "widgets", c.resource)
		}
	})

	t.Run("a mutating webhook's patch is stored, in A only", func(t *testing.T) {
		a.WithStdin(webhookYAML("MutatingWebhookConfiguration", "stamp", hooks.URL+"/patch", hooks.caBundle, "", "[configmaps]",
			"    objectSelector: {matchLabels: {stamp: \"yes\"}}\n")).MustRun(t, "create", "-f", "-")
		require.NoError(t, wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
			created, err := kubeA.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "stamped-a", Labels: map[string]string{"stamp": "yes"}}}, metav1.CreateOptions{})
			if err != nil {
				return false, err
			}
			if created.Labels["stamped-by"] == "webhook-a" {
				return true, nil
			}
			// Created before the webhook applied: try again.
			return false, kubeA.CoreV1().ConfigMaps("default").Delete(ctx, "stamped-a", metav1.DeleteOptions{})
		}))
		assert.Equal(t, "webhook-a", a.MustRun(t, "get", "configmap", "stamped-a", "-n", "default", "-o", "jsonpath={.metadata.labels.stamped-by}"),
			"the patched object is the stored one")
		b.WithStdin(configMapYAML("stamped-b", "default", "{stamp: \"yes\"}")).MustRun(t, "create", "-f", "-")
		assert.Empty(t, b.MustRun(t, "get", "configmap", "stamped-b", "-n", "default", "-o", "jsonpath={.metadata.labels.stamped-by}"))
		assert.Empty(t, hooks.callsOf("stamped-b"))
	})

	t.Run("reinvocationPolicy IfNeeded calls a webhook again after a later one changed the object", func(t *testing.T) {
		// Configurations are called in name order: a-first sees no second label, b-second adds it, and a-first,
		// IfNeeded, is called again and sees it.
		selector := "    objectSelector: {matchLabels: {reinvoke: \"yes\"}}\n"
		a.WithStdin(webhookYAML("MutatingWebhookConfiguration", "a-first", hooks.URL+"/first", hooks.caBundle, "", "[configmaps]",
			selector+"    reinvocationPolicy: IfNeeded\n")).MustRun(t, "create", "-f", "-")
		a.WithStdin(webhookYAML("MutatingWebhookConfiguration", "b-second", hooks.URL+"/second", hooks.caBundle, "", "[configmaps]", selector)).
			MustRun(t, "create", "-f", "-")
		var labels map[string]string
		var paths []string
		require.NoError(t, wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
			before := len(hooks.callsOf("reinvoked"))
			created, err := kubeA.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: "reinvoked", Labels: map[string]string{"reinvoke": "yes"}}}, metav1.CreateOptions{})
			if err != nil {
				return false, err
			}
			labels, paths = created.Labels, nil
			for _, c := range hooks.callsOf("reinvoked")[before:] {
				if c.path == "/first" || c.path == "/second" { // not the validating webhooks
					paths = append(paths, c.path)
				}
			}
			if len(paths) >= 2 && paths[0] == "/first" && paths[1] == "/second" {
				return true, nil // both webhooks were in effect for this request
			}
			// Created before both webhooks applied: try again.
			return false, kubeA.CoreV1().ConfigMaps("default").Delete(ctx, "reinvoked", metav1.DeleteOptions{})
		}))
		assert.Equal(t, []string{"/first", "/second", "/first"}, paths, "a-first, IfNeeded, was called again")
		assert.Equal(t, "yes", labels["first-saw-second"], "and its second patch is stored: %v", labels)
		assert.Equal(t, "yes", a.MustRun(t, "get", "configmap", "reinvoked", "-n", "default", "-o", "jsonpath={.metadata.labels.first-saw-second}"))
	})

	t.Run("a mutating admission policy, IfNeeded, runs again after a webhook changed the object", func(t *testing.T) {
		// Policies run before webhooks: both see no second label, b-second adds it, and only the IfNeeded policy
		// is called again. The webhooks of the test above still apply (objectSelector reinvoke=yes).
		policy := func(name, reinvocation string) string {
			return `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicy
metadata: {name: ` + name + `}
spec:
  reinvocationPolicy: ` + reinvocation + `
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}
  matchConditions:
  - {name: marked, expression: "has(object.metadata.labels) && 'policy-reinvoke' in object.metadata.labels"}
  mutations:
  - patchType: JSONPatch
    jsonPatch:
      expression: >-
        'second' in object.metadata.labels ? [JSONPatch{op: "add", path: "/metadata/labels/` + name + `", value: "yes"}] : []
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingAdmissionPolicyBinding
metadata: {name: ` + name + `}
spec: {policyName: ` + name + `}
`
		}
		a.WithStdin(policy("policy-if-needed", "IfNeeded")+"---\n"+policy("policy-never", "Never")).MustRun(t, "create", "-f", "-")
		var labels map[string]string
		require.NoError(t, wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
			created, err := kubeA.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
				Name: "policy-reinvoked", Labels: map[string]string{"reinvoke": "yes", "policy-reinvoke": "yes"}}}, metav1.CreateOptions{})
			if err != nil {
				return false, err
			}
			labels = created.Labels
			if labels["first-saw-second"] == "yes" && labels["policy-if-needed"] == "yes" {
				return true, nil
			}
			// Created before the policies applied: try again.
			return false, kubeA.CoreV1().ConfigMaps("default").Delete(ctx, "policy-reinvoked", metav1.DeleteOptions{})
		}), "the IfNeeded policy never saw the webhook's label: %v", labels)
		assert.NotContains(t, labels, "policy-never", "a Never policy runs once, before the webhooks: %v", labels)
	})

	t.Run("failurePolicy on an unreachable URL and on a timeout", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		closed := "https://" + l.Addr().String() + "/gone"
		require.NoError(t, l.Close())
		for _, fp := range []string{"Fail", "Ignore"} {
			name := "unreachable-" + strings.ToLower(fp)
			a.WithStdin(webhookYAML("ValidatingWebhookConfiguration", name, closed, hooks.caBundle, "", "[configmaps]",
				"    failurePolicy: "+fp+"\n    objectSelector: {matchLabels: {unreachable: "+fp+"}}\n")).MustRun(t, "create", "-f", "-")
			name = "timeout-" + strings.ToLower(fp)
			a.WithStdin(webhookYAML("ValidatingWebhookConfiguration", name, hooks.URL+"/slow", hooks.caBundle, "", "[configmaps]",
				"    failurePolicy: "+fp+"\n    timeoutSeconds: 1\n    objectSelector: {matchLabels: {slow: "+fp+"}}\n")).MustRun(t, "create", "-f", "-")
		}
		errOut := createRefused(t, a, configMapYAML("cannot-call", "default", "{unreachable: Fail}"), `failed calling webhook "unreachable-fail.webhooks.example.com"`)
		assert.Contains(t, errOut, "connection refused")
		a.WithStdin(configMapYAML("ignored-unreachable", "default", "{unreachable: Ignore}")).MustRun(t, "create", "-f", "-")

		errOut = createRefused(t, a, configMapYAML("too-slow", "default", "{slow: Fail}"), `failed calling webhook "timeout-fail.webhooks.example.com"`)
		assert.Regexp(t, `context deadline exceeded|Client.Timeout|timeout`, errOut)
		a.WithStdin(configMapYAML("ignored-slow", "default", "{slow: Ignore}")).MustRun(t, "create", "-f", "-")

		// B is not held up by A's broken webhooks.
		b.WithStdin(configMapYAML("cannot-call", "default", "{unreachable: Fail, slow: Fail}")).MustRun(t, "create", "-f", "-")
	})

	t.Run("a link-local metadata address is never called", func(t *testing.T) {
		a.WithStdin(webhookYAML("ValidatingWebhookConfiguration", "metadata", "https://169.254.169.254/latest/meta-data", "", "", "[configmaps]",
			"    objectSelector: {matchLabels: {metadata: \"yes\"}}\n")).MustRun(t, "create", "-f", "-")
		errOut := createRefused(t, a, configMapYAML("metadata", "default", "{metadata: \"yes\"}"), "which webhooks may not call")
		assert.Contains(t, errOut, "169.254.169.254")
	})

	t.Run("webhook configurations cannot be intercepted by webhooks", func(t *testing.T) {
		a.WithStdin(webhookYAML("ValidatingWebhookConfiguration", "deny-all", hooks.URL+"/deny", hooks.caBundle, "*", "[\"*\"]", "")).MustRun(t, "create", "-f", "-")
		// Once it refuses a Secret named bad-*, it is in effect for every resource...
		createRefused(t, a, "apiVersion: v1\nkind: Secret\nmetadata: {name: bad-probe, namespace: default}\n", "refused by the team's webhook")
		// ...but not for webhook configurations.
		a.WithStdin(webhookYAML("ValidatingWebhookConfiguration", "bad-config", hooks.URL+"/allow", hooks.caBundle, "", "[secrets]", "")).MustRun(t, "create", "-f", "-")
		assert.Empty(t, hooks.callsOf("bad-config"), "the webhook saw no webhook configuration")
		a.MustRun(t, "delete", "validatingwebhookconfigurations", "--all")
		a.MustRun(t, "delete", "mutatingwebhookconfigurations", "--all")
		assert.Empty(t, a.MustRun(t, "get", "validatingwebhookconfigurations,mutatingwebhookconfigurations", "-o", "name"))
		// Without webhooks, A accepts what its webhook refused.
		require.NoError(t, wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
			_, _, err := a.WithStdin(configMapYAML("bad-after", "default", "{}")).Run("create", "-f", "-")
			return err == nil, nil
		}))
	})
}

// TestAdmissionWebhookBoundResource checks a webhook over a bound resource (widgets of a provider's APIExport,
// bound in two sibling workspaces): A's webhook refuses A's writes and never receives B's.
func TestAdmissionWebhookBoundResource(t *testing.T) {
	s := harness.Start(t)
	providerPath, _ := s.CreateWorkspace(t, "root", "widget-provider")
	s.Kubectl(providerPath).WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).MustRun(t, "create", "-f", "-")
	s.Kubectl(providerPath).MustRun(t, "wait", "--for=condition=IdentityValid", "apiexport/widgets", "--timeout=30s")
	pathA, _ := s.CreateWorkspace(t, "root", "bound-a")
	pathB, _ := s.CreateWorkspace(t, "root", "bound-b")
	a, b := s.Kubectl(pathA), s.Kubectl(pathB)
	for _, k := range []*harness.Kubectl{a, b} {
		k.WithStdin(bindingYAML("widgets", providerPath)).MustRun(t, "create", "-f", "-")
		k.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
	}
	hooks := newWebhookServer(t)
	a.WithStdin(webhookYAML("ValidatingWebhookConfiguration", "deny-bound", hooks.URL+"/deny", hooks.caBundle, "example.com", "[widgets]", "")).
		MustRun(t, "create", "-f", "-")

	errOut := createRefused(t, a, widget("bad-bound-a", "{size: 3}"), "objects named bad-* are refused by the team's webhook")
	assert.Contains(t, errOut, `admission webhook "deny-bound.webhooks.example.com" denied the request`)
	a.WithStdin(widget("good-bound-a", "{size: 3}")).MustRun(t, "create", "-f", "-")
	b.WithStdin(widget("bad-bound-b", "{size: 3}")).MustRun(t, "create", "-f", "-")
	assert.Equal(t, "3", b.MustRun(t, "get", "widget", "bad-bound-b", "-n", "default", "-o", "jsonpath={.spec.size}"))
	assert.Empty(t, hooks.callsOf("bad-bound-b"), "A's webhook received none of B's requests")
	for _, c := range hooks.callsOf("bad-bound-a") {
		assert.Equal(t, "widgets", c.resource)
	}
}
