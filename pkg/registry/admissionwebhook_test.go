package registry

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/util/cert"
)

// testCABundle is a self-signed certificate in PEM, as a webhook's caBundle holds.
func testCABundle(t *testing.T) []byte {
	t.Helper()
	crt, _, err := cert.GenerateSelfSignedCertKey("webhook.example.com", nil, nil)
	require.NoError(t, err)
	return crt
}

func validValidatingWebhooks(t *testing.T) *admissionregistrationv1.ValidatingWebhookConfiguration {
	none := admissionregistrationv1.SideEffectClassNone
	url := "https://webhook.example.com:8443/validate"
	return &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "deny-big"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{
			Name:         "deny-big.webhooks.example.com",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: testCABundle(t)},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
			}},
			SideEffects:             &none,
			AdmissionReviewVersions: []string{"v1"},
			MatchConditions:         []admissionregistrationv1.MatchCondition{{Name: "not-system", Expression: "!request.userInfo.username.startsWith('system:')"}},
		}}}
}

func TestWebhookDefaults(t *testing.T) {
	v := validValidatingWebhooks(t)
	DefaultValidatingWebhookConfiguration(v)
	h := v.Webhooks[0]
	assert.Equal(t, admissionregistrationv1.Fail, *h.FailurePolicy)
	assert.Equal(t, admissionregistrationv1.Equivalent, *h.MatchPolicy)
	assert.Equal(t, &metav1.LabelSelector{}, h.NamespaceSelector, "an empty selector matches everything; nil would match nothing")
	assert.Equal(t, &metav1.LabelSelector{}, h.ObjectSelector)
	assert.Equal(t, int32(10), *h.TimeoutSeconds)
	assert.Equal(t, admissionregistrationv1.AllScopes, *h.Rules[0].Scope)

	m := &admissionregistrationv1.MutatingWebhookConfiguration{Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "a.b.c",
		Rules: []admissionregistrationv1.RuleWithOperations{{}}}}}
	DefaultMutatingWebhookConfiguration(m)
	mh := m.Webhooks[0]
	assert.Equal(t, admissionregistrationv1.NeverReinvocationPolicy, *mh.ReinvocationPolicy)
	assert.Equal(t, admissionregistrationv1.Fail, *mh.FailurePolicy)
	assert.Equal(t, int32(10), *mh.TimeoutSeconds)
	assert.Equal(t, admissionregistrationv1.AllScopes, *mh.Rules[0].Scope)

	// Set values are kept.
	ignore, five := admissionregistrationv1.Ignore, int32(5)
	v = validValidatingWebhooks(t)
	v.Webhooks[0].FailurePolicy, v.Webhooks[0].TimeoutSeconds = &ignore, &five
	DefaultValidatingWebhookConfiguration(v)
	assert.Equal(t, admissionregistrationv1.Ignore, *v.Webhooks[0].FailurePolicy)
	assert.Equal(t, int32(5), *v.Webhooks[0].TimeoutSeconds)
}

func TestValidatingWebhookValidation(t *testing.T) {
	require.Empty(t, validateValidatingWebhookConfiguration(validValidatingWebhooks(t), nil))
	str := func(s string) *string { return &s }
	for name, c := range map[string]struct {
		change func(*admissionregistrationv1.ValidatingWebhook, *admissionregistrationv1.ValidatingWebhookConfiguration)
		field  string
		typ    field.ErrorType
	}{
		"duplicate webhook name": {func(_ *admissionregistrationv1.ValidatingWebhook, c *admissionregistrationv1.ValidatingWebhookConfiguration) {
			c.Webhooks = append(c.Webhooks, *c.Webhooks[0].DeepCopy())
		}, "webhooks[1].name", field.ErrorTypeDuplicate},
		"no webhook name": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.Name = ""
		}, "webhooks[0].name", field.ErrorTypeRequired},
		"two-segment name": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.Name = "example.com"
		}, "webhooks[0].name", field.ErrorTypeInvalid},
		"name not a domain": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.Name = "Deny_Big.example.com"
		}, "webhooks[0].name", field.ErrorTypeInvalid},
		"neither url nor service": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.ClientConfig.URL = nil
		}, "webhooks[0].clientConfig", field.ErrorTypeRequired},
		"url and service": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.ClientConfig.Service = &admissionregistrationv1.ServiceReference{Namespace: "default", Name: "hook"}
		}, "webhooks[0].clientConfig", field.ErrorTypeRequired},
		"service": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.ClientConfig.URL = nil
			h.ClientConfig.Service = &admissionregistrationv1.ServiceReference{Namespace: "default", Name: "hook"}
		}, "webhooks[0].clientConfig.service", field.ErrorTypeForbidden},
		"http url": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.ClientConfig.URL = str("http://webhook.example.com/validate")
		}, "webhooks[0].clientConfig.url", field.ErrorTypeInvalid},
		"url with user info": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.ClientConfig.URL = str("https://me:secret@webhook.example.com/validate")
		}, "webhooks[0].clientConfig.url", field.ErrorTypeInvalid},
		"url with fragment": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.ClientConfig.URL = str("https://webhook.example.com/validate#here")
		}, "webhooks[0].clientConfig.url", field.ErrorTypeInvalid},
		"url with query": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.ClientConfig.URL = str("https://webhook.example.com/validate?x=1")
		}, "webhooks[0].clientConfig.url", field.ErrorTypeInvalid},
		"url without host": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.ClientConfig.URL = str("https:///validate")
		}, "webhooks[0].clientConfig.url", field.ErrorTypeInvalid},
		"caBundle not PEM": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.ClientConfig.CABundle = []byte("not a certificate")
		}, "webhooks[0].clientConfig.caBundle", field.ErrorTypeInvalid},
		"no sideEffects": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.SideEffects = nil
		}, "webhooks[0].sideEffects", field.ErrorTypeRequired},
		"sideEffects Unknown (v1beta1 only)": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			unknown := admissionregistrationv1.SideEffectClassUnknown
			h.SideEffects = &unknown
		}, "webhooks[0].sideEffects", field.ErrorTypeNotSupported},
		"no admissionReviewVersions": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.AdmissionReviewVersions = nil
		}, "webhooks[0].admissionReviewVersions", field.ErrorTypeRequired},
		"admissionReviewVersions without v1 or v1beta1": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.AdmissionReviewVersions = []string{"v2"}
		}, "webhooks[0].admissionReviewVersions", field.ErrorTypeInvalid},
		"timeout zero": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			zero := int32(0)
			h.TimeoutSeconds = &zero
		}, "webhooks[0].timeoutSeconds", field.ErrorTypeInvalid},
		"timeout over 30": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			long := int32(31)
			h.TimeoutSeconds = &long
		}, "webhooks[0].timeoutSeconds", field.ErrorTypeInvalid},
		"unknown failurePolicy": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			sometimes := admissionregistrationv1.FailurePolicyType("Sometimes")
			h.FailurePolicy = &sometimes
		}, "webhooks[0].failurePolicy", field.ErrorTypeNotSupported},
		"unknown matchPolicy": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			roughly := admissionregistrationv1.MatchPolicyType("Roughly")
			h.MatchPolicy = &roughly
		}, "webhooks[0].matchPolicy", field.ErrorTypeNotSupported},
		"unknown operation": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.Rules[0].Operations = []admissionregistrationv1.OperationType{"EXPLODE"}
		}, "webhooks[0].rules[0].operations[0]", field.ErrorTypeNotSupported},
		"unknown scope": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			galaxy := admissionregistrationv1.ScopeType("Galaxy")
			h.Rules[0].Scope = &galaxy
		}, "webhooks[0].rules[0].scope", field.ErrorTypeNotSupported},
		"bad namespaceSelector": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "team", Operator: "Near"}}}
		}, "webhooks[0].namespaceSelector.matchExpressions[0].operator", field.ErrorTypeInvalid},
		"matchCondition does not compile": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.MatchConditions[0].Expression = "request.userInfo.username =="
		}, "webhooks[0].matchConditions[0].expression", field.ErrorTypeInvalid},
		"matchCondition with params": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.MatchConditions[0].Expression = "params.x == 1"
		}, "webhooks[0].matchConditions[0].expression", field.ErrorTypeInvalid},
		"matchCondition without a name": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.MatchConditions[0].Name = ""
		}, "webhooks[0].matchConditions[0].name", field.ErrorTypeRequired},
		"duplicate matchCondition": {func(h *admissionregistrationv1.ValidatingWebhook, _ *admissionregistrationv1.ValidatingWebhookConfiguration) {
			h.MatchConditions = append(h.MatchConditions, h.MatchConditions[0])
		}, "webhooks[0].matchConditions[1].name", field.ErrorTypeDuplicate},
		"configuration name": {func(_ *admissionregistrationv1.ValidatingWebhook, c *admissionregistrationv1.ValidatingWebhookConfiguration) {
			c.Name = "Deny Big"
		}, "metadata.name", field.ErrorTypeInvalid},
	} {
		t.Run(name, func(t *testing.T) {
			c2 := validValidatingWebhooks(t)
			c.change(&c2.Webhooks[0], c2)
			errs := validateValidatingWebhookConfiguration(c2, nil)
			require.NotEmpty(t, errs)
			assert.Equal(t, c.field, errs[0].Field, errs.ToAggregate().Error())
			assert.Equal(t, c.typ, errs[0].Type)
		})
	}
	c := validValidatingWebhooks(t)
	c.Webhooks[0].ClientConfig.URL = nil
	c.Webhooks[0].ClientConfig.Service = &admissionregistrationv1.ServiceReference{Namespace: "default", Name: "hook"}
	assert.Contains(t, validateValidatingWebhookConfiguration(c, nil).ToAggregate().Error(), "use clientConfig.url",
		"the refusal of a Service says what to do instead")
}

func TestMutatingWebhookValidation(t *testing.T) {
	none := admissionregistrationv1.SideEffectClassNoneOnDryRun
	url := "https://webhook.example.com/mutate"
	valid := func() *admissionregistrationv1.MutatingWebhookConfiguration {
		return &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "add-label"},
			Webhooks: []admissionregistrationv1.MutatingWebhook{{
				Name: "add-label.webhooks.example.com", ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url},
				SideEffects: &none, AdmissionReviewVersions: []string{"v1beta1", "v1"},
			}}}
	}
	require.Empty(t, validateMutatingWebhookConfiguration(valid(), nil))
	sometimes := admissionregistrationv1.ReinvocationPolicyType("Sometimes")
	c := valid()
	c.Webhooks[0].ReinvocationPolicy = &sometimes
	errs := validateMutatingWebhookConfiguration(c, nil)
	require.Len(t, errs, 1)
	assert.Equal(t, "webhooks[0].reinvocationPolicy", errs[0].Field)
	assert.Equal(t, field.ErrorTypeNotSupported, errs[0].Type)

	c = valid()
	c.Webhooks[0].ClientConfig = admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "default", Name: "hook"}}
	errs = validateMutatingWebhookConfiguration(c, nil)
	require.Len(t, errs, 1)
	assert.Equal(t, "webhooks[0].clientConfig.service", errs[0].Field)
	assert.Equal(t, field.ErrorTypeForbidden, errs[0].Type)
}

func TestWebhookConfigurationTable(t *testing.T) {
	v := validValidatingWebhooks(t)
	v.Webhooks = append(v.Webhooks, *v.Webhooks[0].DeepCopy())
	table, err := tableFor("ValidatingWebhookConfiguration").ConvertToTable(context.Background(), v, nil)
	require.NoError(t, err)
	var names []string
	for _, c := range table.ColumnDefinitions {
		names = append(names, c.Name)
	}
	assert.Equal(t, []string{"Name", "Webhooks", "Age"}, names, "the columns kubectl shows for kube-apiserver")
	require.Len(t, table.Rows, 1)
	assert.Equal(t, int64(2), table.Rows[0].Cells[1])

	table, err = tableFor("MutatingWebhookConfiguration").ConvertToTable(context.Background(), &admissionregistrationv1.MutatingWebhookConfigurationList{
		Items: []admissionregistrationv1.MutatingWebhookConfiguration{{ObjectMeta: metav1.ObjectMeta{Name: "m"}}}}, nil)
	require.NoError(t, err)
	require.Len(t, table.Rows, 1)
	assert.Equal(t, []interface{}{"m", int64(0), "<unknown>"}, table.Rows[0].Cells)
}
