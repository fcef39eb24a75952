package admissionpolicy

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk"
)

// world is a Plugin over indexes the test writes to directly, as the server's wildcard watches would.
type world struct {
	t          *testing.T
	policies   *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicy]
	bindings   *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicyBinding]
	namespaces *clusterwatch.Store[*corev1.Namespace]
	source     *ValidatingSource
	plugin     *ValidatingPlugin
	version    int
}

func newWorld(t *testing.T, clusters ...logicalcluster.Name) *world {
	w := &world{t: t,
		policies:   clusterwatch.NewStore[*admissionregistrationv1.ValidatingAdmissionPolicy](),
		bindings:   clusterwatch.NewStore[*admissionregistrationv1.ValidatingAdmissionPolicyBinding](),
		namespaces: clusterwatch.NewStore[*corev1.Namespace](),
	}
	// The clients are never used when every namespace is in the index and no policy has parameters.
	clients, err := sdk.New(&rest.Config{Host: "https://gantry.invalid"})
	require.NoError(t, err)
	w.source = NewValidatingSource(w.policies, w.bindings, w.namespaces, clients, nil)
	w.plugin = NewValidatingPlugin(w.source)
	require.NoError(t, w.policies.Replace(nil, "1"))
	require.NoError(t, w.bindings.Replace(nil, "1"))
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

// policy stores a policy over configmaps in cluster that refuses what expression rejects, with message.
func (w *world) policy(cluster logicalcluster.Name, name, expression, message string) {
	fail := admissionregistrationv1.Fail
	equivalent := admissionregistrationv1.Equivalent
	all := admissionregistrationv1.AllScopes
	require.NoError(w.t, w.policies.Update(&admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: w.meta(cluster, name),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{
				NamespaceSelector: &metav1.LabelSelector{}, ObjectSelector: &metav1.LabelSelector{}, MatchPolicy: &equivalent,
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}, Scope: &all},
				}}},
			},
			Validations: []admissionregistrationv1.Validation{{Expression: expression, Message: message}},
		}}))
}

// binding stores a Deny binding of policy in cluster.
func (w *world) binding(cluster logicalcluster.Name, name, policy string) {
	require.NoError(w.t, w.bindings.Update(&admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: w.meta(cluster, name),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}}))
}

// create asks the plugin about creating a ConfigMap with the given number of keys in cluster.
func (w *world) create(cluster logicalcluster.Name, keys int) error {
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "default"}, Data: map[string]string{}}
	for i := 0; i < keys; i++ {
		cm.Data["k"+strconv.Itoa(i)] = "v"
	}
	attrs := admission.NewAttributesRecord(cm, nil, corev1.SchemeGroupVersion.WithKind("ConfigMap"), "default", cm.Name,
		corev1.SchemeGroupVersion.WithResource("configmaps"), "", admission.Create, &metav1.CreateOptions{}, false, &user.DefaultInfo{Name: "alice"})
	scheme := runtime.NewScheme()
	require.NoError(w.t, corev1.AddToScheme(scheme))
	return w.plugin.Validate(logicalcluster.WithCluster(context.Background(), cluster), attrs, admission.NewObjectInterfacesFromScheme(scheme))
}

func TestSameNamedPoliciesApplyEachInItsWorkspace(t *testing.T) {
	w := newWorld(t, "teama", "teamb", "teamc")
	w.policy("teama", "limit", "size(object.data) <= 1", "at most 1 key")
	w.binding("teama", "limit", "limit")
	w.policy("teamb", "limit", "size(object.data) <= 10", "at most 10 keys")
	w.binding("teamb", "limit", "limit")

	err := w.create("teama", 5)
	require.Error(t, err)
	assert.True(t, apierrors.IsInvalid(err), "the default reason is Invalid, as upstream: %v", err)
	assert.Contains(t, err.Error(), "ValidatingAdmissionPolicy 'limit' with binding 'limit' denied request: at most 1 key")
	assert.NoError(t, w.create("teamb", 5), "teamb's own policy allows 10")
	assert.Contains(t, w.create("teamb", 11).Error(), "at most 10 keys")
	assert.NoError(t, w.create("teamc", 100), "a workspace without policies")
	_, known := w.source.workspaces["teamc"]
	assert.False(t, known, "a workspace without bindings keeps nothing")
}

func TestHooksFollowChangesAndReuseCompiledPolicies(t *testing.T) {
	w := newWorld(t, "teama")
	w.binding("teama", "limit", "limit")
	assert.NoError(t, w.create("teama", 5), "a binding to a missing policy has no effect")

	w.policy("teama", "limit", "size(object.data) <= 1", "at most 1 key")
	assert.Error(t, w.create("teama", 5), "the policy applies once it exists")
	compiled := w.source.workspaces["teama"].compiled["limit"].evaluator

	w.binding("teama", "other", "limit")
	assert.Error(t, w.create("teama", 5))
	assert.Same(t, compiled, w.source.workspaces["teama"].compiled["limit"].evaluator, "a binding change does not recompile the policy")
	assert.Len(t, w.source.workspaces["teama"].hooks[0].Bindings, 2)

	w.policy("teama", "limit", "size(object.data) <= 5", "at most 5 keys")
	assert.NoError(t, w.create("teama", 5), "an updated policy applies")
	assert.NotSame(t, compiled, w.source.workspaces["teama"].compiled["limit"].evaluator)

	for _, name := range []string{"limit", "other"} {
		require.NoError(t, w.bindings.Delete(&admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: w.meta("teama", name)}))
	}
	assert.NoError(t, w.create("teama", 50), "no binding, no effect")
}

func TestCompileErrorsFollowFailurePolicy(t *testing.T) {
	w := newWorld(t, "teama")
	// Stored before validation refused such expressions, or written around it: the policy fails closed.
	w.policy("teama", "broken", "object.data.nosuchfunction()", "never")
	w.binding("teama", "broken", "broken")
	err := w.create("teama", 1)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ValidatingAdmissionPolicy 'broken' with binding 'broken' denied request")

	policy, _ := w.policies.Get("teama", "broken")
	ignore := policy.DeepCopy()
	failurePolicy := admissionregistrationv1.Ignore
	ignore.Spec.FailurePolicy = &failurePolicy
	ignore.ResourceVersion = "changed"
	require.NoError(t, w.policies.Update(ignore))
	assert.NoError(t, w.create("teama", 1), "failurePolicy Ignore")
}

func TestPoliciesThemselvesAndUnroutedRequestsAreSkipped(t *testing.T) {
	w := newWorld(t, "teama")
	w.policy("teama", "nothing", "false", "never")
	w.binding("teama", "nothing", "nothing")
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "p"}}
	attrs := admission.NewAttributesRecord(policy, nil, admissionregistrationv1.SchemeGroupVersion.WithKind("ValidatingAdmissionPolicy"), "", "p",
		admissionregistrationv1.SchemeGroupVersion.WithResource("validatingadmissionpolicies"), "", admission.Create, nil, false, &user.DefaultInfo{Name: "alice"})
	assert.NoError(t, w.plugin.Validate(logicalcluster.WithCluster(context.Background(), "teama"), attrs, nil),
		"a policy cannot lock its workspace out of changing it")
	assert.NoError(t, w.plugin.Validate(context.Background(), attrs, nil), "no workspace, nothing to apply")
}

// TestConcurrentRequestsAndChanges runs requests of two workspaces while one's policy changes (for the race
// detector); each workspace's answer is always its own.
func TestConcurrentRequestsAndChanges(t *testing.T) {
	w := newWorld(t, "teama", "teamb")
	w.policy("teama", "limit", "size(object.data) <= 1", "at most 1 key")
	w.binding("teama", "limit", "limit")
	done := make(chan struct{})
	results := make(chan error, 400)
	for i := 0; i < 4; i++ {
		go func() {
			for j := 0; j < 50; j++ {
				results <- w.create("teamb", 5)
				if err := w.create("teama", 5); err == nil {
					results <- assert.AnError
				}
			}
			done <- struct{}{}
		}()
	}
	for i := 0; i < 20; i++ {
		w.policy("teama", "limit", "size(object.data) <= "+strconv.Itoa(1+i%3), "few keys")
	}
	for i := 0; i < 4; i++ {
		<-done
	}
	close(results)
	for err := range results {
		require.NoError(t, err, "teamb has no policy, and teama's never allows 5 keys")
	}
}
