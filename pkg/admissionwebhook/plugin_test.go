package admissionwebhook

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk"
)

// hookServer is a real TLS webhook server that records the AdmissionReviews it gets and answers with answer.
type hookServer struct {
	*httptest.Server
	mu       sync.Mutex
	reviews  []admissionv1.AdmissionReview
	answer   func(r *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse
	caBundle []byte
}

func newHookServer(t *testing.T, answer func(r *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse) *hookServer {
	h := &hookServer{answer: answer}
	h.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var review admissionv1.AdmissionReview
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.reviews = append(h.reviews, review)
		h.mu.Unlock()
		response := h.answer(review.Request)
		response.UID = review.Request.UID
		review.Response, review.Request = response, nil
		_ = json.NewEncoder(w).Encode(&review)
	}))
	t.Cleanup(h.Close)
	h.caBundle = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.Certificate().Raw})
	return h
}

func (h *hookServer) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reviews)
}

// world is the plugins over indexes the test writes to directly, as the server's wildcard watches would.
type world struct {
	t          *testing.T
	validating *clusterwatch.Store[*admissionregistrationv1.ValidatingWebhookConfiguration]
	mutating   *clusterwatch.Store[*admissionregistrationv1.MutatingWebhookConfiguration]
	namespaces *clusterwatch.Store[*corev1.Namespace]
	source     *ValidatingSource
	validate   *ValidatingPlugin
	admit      *MutatingPlugin
	version    int
}

func newWorld(t *testing.T, clusters ...logicalcluster.Name) *world {
	w := &world{t: t,
		validating: clusterwatch.NewStore[*admissionregistrationv1.ValidatingWebhookConfiguration](),
		mutating:   clusterwatch.NewStore[*admissionregistrationv1.MutatingWebhookConfiguration](),
		namespaces: clusterwatch.NewStore[*corev1.Namespace](),
	}
	// The clients are never used when every namespace is in the index.
	clients, err := sdk.New(&rest.Config{Host: "https://gantry.invalid"})
	require.NoError(t, err)
	w.source = NewValidatingSource(w.validating, w.namespaces, clients, nil)
	w.validate = NewValidatingPlugin(w.source)
	w.admit = NewMutatingPlugin(NewMutatingSource(w.mutating, w.namespaces, clients, nil))
	require.NoError(t, w.validating.Replace(nil, "1"))
	require.NoError(t, w.mutating.Replace(nil, "1"))
	var namespaces []interface{}
	for _, c := range clusters {
		namespaces = append(namespaces, &corev1.Namespace{ObjectMeta: w.meta(c, "default")})
	}
	require.NoError(t, w.namespaces.Replace(namespaces, "1"))
	return w
}

// meta is the metadata of an object of cluster, with a new resourceVersion each time, as etcd gives.
func (w *world) meta(cluster logicalcluster.Name, name string) metav1.ObjectMeta {
	w.version++
	return metav1.ObjectMeta{Name: name, ResourceVersion: strconv.Itoa(w.version),
		Annotations: map[string]string{logicalcluster.AnnotationKey: string(cluster)}}
}

// webhookDefaults are a rule matching the creation of ConfigMaps and the defaults the registry sets.
func webhookDefaults() ([]admissionregistrationv1.RuleWithOperations, *admissionregistrationv1.MatchPolicyType, *admissionregistrationv1.SideEffectClass, *int32) {
	all := admissionregistrationv1.AllScopes
	equivalent := admissionregistrationv1.Equivalent
	none := admissionregistrationv1.SideEffectClassNone
	timeout := int32(5)
	return []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}, Scope: &all},
	}}, &equivalent, &none, &timeout
}

// validatingWebhook stores a ValidatingWebhookConfiguration in cluster calling url over ConfigMap creations.
func (w *world) validatingWebhook(cluster logicalcluster.Name, name, url string, caBundle []byte, policy admissionregistrationv1.FailurePolicyType) {
	rules, match, sideEffects, timeout := webhookDefaults()
	require.NoError(w.t, w.validating.Update(&admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: w.meta(cluster, name),
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name: name + ".webhooks.example.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: caBundle},
			Rules: rules, FailurePolicy: &policy, MatchPolicy: match, SideEffects: sideEffects, TimeoutSeconds: timeout,
			NamespaceSelector: &metav1.LabelSelector{}, ObjectSelector: &metav1.LabelSelector{}, AdmissionReviewVersions: []string{"v1"},
		}}}))
}

// configMap is the request to create a ConfigMap in cluster's default namespace.
func (w *world) configMap(cluster logicalcluster.Name) (context.Context, admission.Attributes, admission.ObjectInterfaces) {
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "default"}, Data: map[string]string{"k": "v"}}
	attrs := admission.NewAttributesRecord(cm, nil, corev1.SchemeGroupVersion.WithKind("ConfigMap"), "default", cm.Name,
		corev1.SchemeGroupVersion.WithResource("configmaps"), "", admission.Create, &metav1.CreateOptions{}, false, &user.DefaultInfo{Name: "alice"})
	scheme := runtime.NewScheme()
	require.NoError(w.t, corev1.AddToScheme(scheme))
	return logicalcluster.WithCluster(context.Background(), cluster), attrs, admission.NewObjectInterfacesFromScheme(scheme)
}

func (w *world) create(cluster logicalcluster.Name) error {
	return w.validate.Validate(w.configMap(cluster))
}

func deny(message string) func(*admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	return func(*admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
		return &admissionv1.AdmissionResponse{Allowed: false, Result: &metav1.Status{Message: message, Code: http.StatusForbidden}}
	}
}

func TestWebhooksApplyEachInItsWorkspace(t *testing.T) {
	w := newWorld(t, "teama", "teamb")
	server := newHookServer(t, deny("teama says no"))
	w.validatingWebhook("teama", "deny", server.URL+"/validate", server.caBundle, admissionregistrationv1.Fail)

	err := w.create("teama")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `admission webhook "deny.webhooks.example.com" denied the request: teama says no`)
	require.Equal(t, 1, server.count())
	assert.Equal(t, "settings", server.reviews[0].Request.Name)

	assert.NoError(t, w.create("teamb"), "teamb has no webhook")
	assert.Equal(t, 1, server.count(), "teama's webhook never hears of teamb's request")
	_, known := w.source.workspaces["teamb"]
	assert.False(t, known, "a workspace without webhooks keeps nothing")

	// A change is seen by the next request; a deleted configuration has no effect any more.
	require.NoError(t, w.validating.Delete(&admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: w.meta("teama", "deny")}))
	assert.NoError(t, w.create("teama"))
	assert.Equal(t, 1, server.count())
}

func TestUnreachableWebhookFollowsFailurePolicy(t *testing.T) {
	w := newWorld(t, "teama")
	// A port nothing listens on: taken, then closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "https://" + l.Addr().String() + "/validate"
	require.NoError(t, l.Close())

	w.validatingWebhook("teama", "gone", closed, nil, admissionregistrationv1.Fail)
	err = w.create("teama")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `failed calling webhook "gone.webhooks.example.com"`)

	w.validatingWebhook("teama", "gone", closed, nil, admissionregistrationv1.Ignore)
	assert.NoError(t, w.create("teama"), "failurePolicy Ignore")
}

func TestMetadataAddressesAreRefused(t *testing.T) {
	w := newWorld(t, "teama")
	w.validatingWebhook("teama", "metadata", "https://169.254.169.254/latest", nil, admissionregistrationv1.Fail)
	err := w.create("teama")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "which webhooks may not call")

	assert.NotEmpty(t, Blocked(net.ParseIP("169.254.169.254")))
	assert.NotEmpty(t, Blocked(net.ParseIP("fe80::1")))
	assert.NotEmpty(t, Blocked(net.ParseIP("0.0.0.0")))
	assert.Empty(t, Blocked(net.ParseIP("127.0.0.1")), "a webhook on the gantry host itself is allowed (and documented)")
	assert.Empty(t, Blocked(net.ParseIP("10.1.2.3")))
}

func TestMutatingWebhookPatchIsApplied(t *testing.T) {
	w := newWorld(t, "teama", "teamb")
	patch := admissionv1.PatchTypeJSONPatch
	server := newHookServer(t, func(*admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
		return &admissionv1.AdmissionResponse{Allowed: true, PatchType: &patch,
			Patch: []byte(`[{"op":"add","path":"/metadata/labels","value":{"stamped":"yes"}}]`)}
	})
	rules, match, sideEffects, timeout := webhookDefaults()
	fail := admissionregistrationv1.Fail
	never := admissionregistrationv1.NeverReinvocationPolicy
	url := server.URL + "/mutate"
	require.NoError(t, w.mutating.Update(&admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: w.meta("teama", "stamp"),
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name: "stamp.webhooks.example.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: server.caBundle},
			Rules: rules, FailurePolicy: &fail, MatchPolicy: match, SideEffects: sideEffects, TimeoutSeconds: timeout, ReinvocationPolicy: &never,
			NamespaceSelector: &metav1.LabelSelector{}, ObjectSelector: &metav1.LabelSelector{}, AdmissionReviewVersions: []string{"v1"},
		}}}))

	ctx, attrs, o := w.configMap("teama")
	require.NoError(t, w.admit.Admit(ctx, attrs, o))
	assert.Equal(t, map[string]string{"stamped": "yes"}, attrs.GetObject().(*corev1.ConfigMap).Labels)

	ctx, attrs, o = w.configMap("teamb")
	require.NoError(t, w.admit.Admit(ctx, attrs, o))
	assert.Empty(t, attrs.GetObject().(*corev1.ConfigMap).Labels, "teama's webhook does not mutate teamb's objects")
	assert.Equal(t, 1, server.count())
}

func TestWebhookConfigurationsAreExempt(t *testing.T) {
	w := newWorld(t, "teama")
	server := newHookServer(t, deny("no"))
	w.validatingWebhook("teama", "deny", server.URL, server.caBundle, admissionregistrationv1.Fail)
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "deny"}}
	attrs := admission.NewAttributesRecord(cfg, nil, admissionregistrationv1.SchemeGroupVersion.WithKind("ValidatingWebhookConfiguration"), "", "deny",
		admissionregistrationv1.SchemeGroupVersion.WithResource("validatingwebhookconfigurations"), "", admission.Create, nil, false, &user.DefaultInfo{Name: "alice"})
	assert.NoError(t, w.validate.Validate(logicalcluster.WithCluster(context.Background(), "teama"), attrs, nil),
		"a webhook cannot lock its workspace out of changing it")
	assert.Equal(t, 0, server.count())
}

// TestConcurrentRequestsAndChanges runs requests of two workspaces while one's configuration changes (for the race
// detector); each workspace's answer is always its own.
func TestConcurrentRequestsAndChanges(t *testing.T) {
	w := newWorld(t, "teama", "teamb")
	server := newHookServer(t, deny("teama says no"))
	w.validatingWebhook("teama", "deny", server.URL+"/validate", server.caBundle, admissionregistrationv1.Fail)
	results := make(chan error, 200)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 25; j++ {
				results <- w.create("teamb")
				if err := w.create("teama"); err == nil {
					results <- assert.AnError
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		w.validatingWebhook("teama", "deny", server.URL+"/validate/"+strconv.Itoa(i), server.caBundle, admissionregistrationv1.Fail)
	}
	wg.Wait()
	close(results)
	for err := range results {
		require.NoError(t, err, "teamb has no webhook, and teama's always refuses")
	}
}
