package registry

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/url"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
)

// ServiceRefusedMessage is why a webhook's clientConfig.service is refused: nothing in a workspace could resolve it.
const ServiceRefusedMessage = "a workspace has no cluster network, so a Service cannot be resolved: use clientConfig.url"

// maxMatchConditions is how many matchConditions a webhook may have, as kube-apiserver allows.
const maxMatchConditions = 64

// AdmissionWebhooks is the resourceSet of admissionregistration.k8s.io/v1's webhook configurations:
// validatingwebhookconfigurations and mutatingwebhookconfigurations, cluster-scoped and stored per workspace like
// every built-in; pkg/admissionwebhook calls them for the requests of the workspace they live in.
func AdmissionWebhooks(optsGetter generic.RESTOptionsGetter) (map[schema.GroupVersionResource]rest.Storage, error) {
	gv := admissionregistrationv1.SchemeGroupVersion
	validating, err := newStore(optsGetter, resource{
		gvr: gv.WithResource("validatingwebhookconfigurations"), kind: "ValidatingWebhookConfiguration", singular: "validatingwebhookconfiguration",
		newFunc: func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfiguration{} },
		newList: func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfigurationList{} },
		rules: kindRules{
			validate: validateValidatingWebhookConfiguration,
			prepareForCreate: func(_ context.Context, obj runtime.Object) {
				DefaultValidatingWebhookConfiguration(obj.(*admissionregistrationv1.ValidatingWebhookConfiguration))
			},
			prepareForUpdate: func(obj, _ runtime.Object) {
				DefaultValidatingWebhookConfiguration(obj.(*admissionregistrationv1.ValidatingWebhookConfiguration))
			},
		},
	})
	if err != nil {
		return nil, err
	}
	mutating, err := newStore(optsGetter, resource{
		gvr: gv.WithResource("mutatingwebhookconfigurations"), kind: "MutatingWebhookConfiguration", singular: "mutatingwebhookconfiguration",
		newFunc: func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfiguration{} },
		newList: func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfigurationList{} },
		rules: kindRules{
			validate: validateMutatingWebhookConfiguration,
			prepareForCreate: func(_ context.Context, obj runtime.Object) {
				DefaultMutatingWebhookConfiguration(obj.(*admissionregistrationv1.MutatingWebhookConfiguration))
			},
			prepareForUpdate: func(obj, _ runtime.Object) {
				DefaultMutatingWebhookConfiguration(obj.(*admissionregistrationv1.MutatingWebhookConfiguration))
			},
		},
	})
	if err != nil {
		return nil, err
	}
	return map[schema.GroupVersionResource]rest.Storage{
		gv.WithResource("validatingwebhookconfigurations"): validating,
		gv.WithResource("mutatingwebhookconfigurations"):   mutating,
	}, nil
}

// webhookCommon points at what validating and mutating webhooks have alike, so that one function defaults and
// checks both.
type webhookCommon struct {
	name                    string
	clientConfig            *admissionregistrationv1.WebhookClientConfig
	rules                   []admissionregistrationv1.RuleWithOperations
	failurePolicy           **admissionregistrationv1.FailurePolicyType
	matchPolicy             **admissionregistrationv1.MatchPolicyType
	namespaceSelector       **metav1.LabelSelector
	objectSelector          **metav1.LabelSelector
	sideEffects             *admissionregistrationv1.SideEffectClass
	timeoutSeconds          **int32
	admissionReviewVersions []string
	matchConditions         []admissionregistrationv1.MatchCondition
}

func validatingCommon(h *admissionregistrationv1.ValidatingWebhook) webhookCommon {
	return webhookCommon{name: h.Name, clientConfig: &h.ClientConfig, rules: h.Rules, failurePolicy: &h.FailurePolicy,
		matchPolicy: &h.MatchPolicy, namespaceSelector: &h.NamespaceSelector, objectSelector: &h.ObjectSelector,
		sideEffects: h.SideEffects, timeoutSeconds: &h.TimeoutSeconds, admissionReviewVersions: h.AdmissionReviewVersions,
		matchConditions: h.MatchConditions}
}

func mutatingCommon(h *admissionregistrationv1.MutatingWebhook) webhookCommon {
	return webhookCommon{name: h.Name, clientConfig: &h.ClientConfig, rules: h.Rules, failurePolicy: &h.FailurePolicy,
		matchPolicy: &h.MatchPolicy, namespaceSelector: &h.NamespaceSelector, objectSelector: &h.ObjectSelector,
		sideEffects: h.SideEffects, timeoutSeconds: &h.TimeoutSeconds, admissionReviewVersions: h.AdmissionReviewVersions,
		matchConditions: h.MatchConditions}
}

// DefaultValidatingWebhookConfiguration sets the defaults kube-apiserver sets on every webhook of c.
func DefaultValidatingWebhookConfiguration(c *admissionregistrationv1.ValidatingWebhookConfiguration) {
	for i := range c.Webhooks {
		defaultWebhook(validatingCommon(&c.Webhooks[i]))
	}
}

// DefaultMutatingWebhookConfiguration sets the defaults kube-apiserver sets on every webhook of c, reinvocationPolicy
// Never included.
func DefaultMutatingWebhookConfiguration(c *admissionregistrationv1.MutatingWebhookConfiguration) {
	for i := range c.Webhooks {
		h := &c.Webhooks[i]
		defaultWebhook(mutatingCommon(h))
		if h.ReinvocationPolicy == nil {
			never := admissionregistrationv1.NeverReinvocationPolicy
			h.ReinvocationPolicy = &never
		}
	}
}

// defaultWebhook sets failurePolicy Fail, matchPolicy Equivalent, match-all selectors, timeoutSeconds 10 and rule
// scope "*", as kube-apiserver does; the dispatcher relies on them (a nil selector would match nothing).
func defaultWebhook(h webhookCommon) {
	if *h.failurePolicy == nil {
		fail := admissionregistrationv1.Fail
		*h.failurePolicy = &fail
	}
	if *h.matchPolicy == nil {
		equivalent := admissionregistrationv1.Equivalent
		*h.matchPolicy = &equivalent
	}
	if *h.namespaceSelector == nil {
		*h.namespaceSelector = &metav1.LabelSelector{}
	}
	if *h.objectSelector == nil {
		*h.objectSelector = &metav1.LabelSelector{}
	}
	if *h.timeoutSeconds == nil {
		ten := int32(10)
		*h.timeoutSeconds = &ten
	}
	for i := range h.rules {
		if h.rules[i].Scope == nil {
			all := admissionregistrationv1.AllScopes
			h.rules[i].Scope = &all
		}
	}
}

func validateValidatingWebhookConfiguration(obj, old runtime.Object) field.ErrorList {
	c := obj.(*admissionregistrationv1.ValidatingWebhookConfiguration)
	errs := validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
	names := sets.New[string]()
	for i := range c.Webhooks {
		path := field.NewPath("webhooks").Index(i)
		errs = append(errs, validateWebhook(path, validatingCommon(&c.Webhooks[i]), names, old != nil)...)
	}
	return errs
}

func validateMutatingWebhookConfiguration(obj, old runtime.Object) field.ErrorList {
	c := obj.(*admissionregistrationv1.MutatingWebhookConfiguration)
	errs := validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
	names := sets.New[string]()
	reinvocation := []string{string(admissionregistrationv1.NeverReinvocationPolicy), string(admissionregistrationv1.IfNeededReinvocationPolicy)}
	for i := range c.Webhooks {
		path := field.NewPath("webhooks").Index(i)
		h := &c.Webhooks[i]
		errs = append(errs, validateWebhook(path, mutatingCommon(h), names, old != nil)...)
		if r := h.ReinvocationPolicy; r != nil && !sets.New(reinvocation...).Has(string(*r)) {
			errs = append(errs, field.NotSupported(path.Child("reinvocationPolicy"), *r, reinvocation))
		}
	}
	return errs
}

// validateWebhook checks one webhook as kube-apiserver checks a v1 webhook, and refuses a Service reference; names
// collects the names of the configuration's webhooks, which must be unique. On update, stored matchConditions may
// use what a newer CEL environment allows.
func validateWebhook(path *field.Path, h webhookCommon, names sets.Set[string], update bool) field.ErrorList {
	var errs field.ErrorList
	switch {
	case h.name == "":
		errs = append(errs, field.Required(path.Child("name"), ""))
	case names.Has(h.name):
		errs = append(errs, field.Duplicate(path.Child("name"), h.name))
	default:
		for _, msg := range utilvalidation.IsDNS1123Subdomain(h.name) {
			errs = append(errs, field.Invalid(path.Child("name"), h.name, msg))
		}
		if len(strings.Split(h.name, ".")) < 3 {
			errs = append(errs, field.Invalid(path.Child("name"), h.name, "should be a domain with at least three segments separated by dots"))
		}
	}
	names.Insert(h.name)

	errs = append(errs, validateClientConfig(path.Child("clientConfig"), h.clientConfig)...)
	for i, r := range h.rules {
		errs = append(errs, validateRule(path.Child("rules").Index(i), admissionregistrationv1.NamedRuleWithOperations{RuleWithOperations: r})...)
	}
	if p := *h.failurePolicy; p != nil && *p != admissionregistrationv1.Fail && *p != admissionregistrationv1.Ignore {
		errs = append(errs, field.NotSupported(path.Child("failurePolicy"), *p, []string{string(admissionregistrationv1.Fail), string(admissionregistrationv1.Ignore)}))
	}
	if p := *h.matchPolicy; p != nil && *p != admissionregistrationv1.Exact && *p != admissionregistrationv1.Equivalent {
		errs = append(errs, field.NotSupported(path.Child("matchPolicy"), *p, []string{string(admissionregistrationv1.Exact), string(admissionregistrationv1.Equivalent)}))
	}
	opts := metav1validation.LabelSelectorValidationOptions{}
	if s := *h.namespaceSelector; s != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(s, opts, path.Child("namespaceSelector"))...)
	}
	if s := *h.objectSelector; s != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(s, opts, path.Child("objectSelector"))...)
	}
	sideEffects := []string{string(admissionregistrationv1.SideEffectClassNone), string(admissionregistrationv1.SideEffectClassNoneOnDryRun)}
	if h.sideEffects == nil {
		errs = append(errs, field.Required(path.Child("sideEffects"), fmt.Sprintf("must specify one of %v", strings.Join(sideEffects, ", "))))
	} else if !sets.New(sideEffects...).Has(string(*h.sideEffects)) {
		errs = append(errs, field.NotSupported(path.Child("sideEffects"), *h.sideEffects, sideEffects))
	}
	if t := *h.timeoutSeconds; t != nil && (*t < 1 || *t > 30) {
		errs = append(errs, field.Invalid(path.Child("timeoutSeconds"), *t, "the timeout value must be between 1 and 30 seconds"))
	}
	errs = append(errs, validateReviewVersions(path.Child("admissionReviewVersions"), h.admissionReviewVersions)...)
	errs = append(errs, validateMatchConditions(path.Child("matchConditions"), h.matchConditions, update)...)
	return errs
}

// validateClientConfig requires exactly one of url and service, refuses a service (no cluster network resolves it)
// and checks the url and the caBundle.
func validateClientConfig(path *field.Path, c *admissionregistrationv1.WebhookClientConfig) field.ErrorList {
	var errs field.ErrorList
	switch {
	case c.URL == nil && c.Service == nil:
		errs = append(errs, field.Required(path, "exactly one of url or service is required"))
	case c.URL != nil && c.Service != nil:
		errs = append(errs, field.Required(path, "exactly one of url or service is required"))
	case c.Service != nil:
		errs = append(errs, field.Forbidden(path.Child("service"), ServiceRefusedMessage))
	default:
		errs = append(errs, validateWebhookURL(path.Child("url"), *c.URL)...)
	}
	if len(c.CABundle) > 0 && !x509.NewCertPool().AppendCertsFromPEM(c.CABundle) {
		errs = append(errs, field.Invalid(path.Child("caBundle"), "<bytes>", "must hold at least one PEM-encoded certificate"))
	}
	return errs
}

// validateWebhookURL checks a webhook's url as kube-apiserver does: https, a host, and no user info, fragment or
// query.
func validateWebhookURL(path *field.Path, raw string) field.ErrorList {
	u, err := url.Parse(raw)
	if err != nil {
		return field.ErrorList{field.Invalid(path, raw, "url must be a valid URL: "+err.Error())}
	}
	var errs field.ErrorList
	if u.Scheme != "https" {
		errs = append(errs, field.Invalid(path, u.Scheme, "'https' is the only allowed URL scheme"))
	}
	if u.Host == "" {
		errs = append(errs, field.Invalid(path, u.Host, "host must be specified"))
	}
	if u.User != nil {
		errs = append(errs, field.Invalid(path, u.User.String(), "user information is not permitted in the URL"))
	}
	if u.Fragment != "" || u.RawFragment != "" || strings.Contains(raw, "#") {
		errs = append(errs, field.Invalid(path, u.Fragment, "fragments are not permitted in the URL"))
	}
	if u.RawQuery != "" || u.ForceQuery {
		errs = append(errs, field.Invalid(path, u.RawQuery, "query parameters are not permitted in the URL"))
	}
	return errs
}

// validateReviewVersions requires the AdmissionReview versions a webhook accepts, unique, with one that the server
// sends (v1 or v1beta1).
func validateReviewVersions(path *field.Path, versions []string) field.ErrorList {
	var errs field.ErrorList
	if len(versions) == 0 {
		return field.ErrorList{field.Required(path, "must specify one of v1, v1beta1")}
	}
	seen := sets.New[string]()
	for i, v := range versions {
		if seen.Has(v) {
			errs = append(errs, field.Invalid(path.Index(i), v, "duplicate version"))
		}
		seen.Insert(v)
		for _, msg := range utilvalidation.IsDNS1035Label(v) {
			errs = append(errs, field.Invalid(path.Index(i), v, msg))
		}
	}
	if !seen.Has("v1") && !seen.Has("v1beta1") {
		errs = append(errs, field.Invalid(path, versions, "must include at least one of v1, v1beta1"))
	}
	return errs
}

// validateMatchConditions checks a webhook's matchConditions: named, unique, at most 64, and compiling as the
// upstream admission CEL does (with the authorizer, without params).
func validateMatchConditions(path *field.Path, conditions []admissionregistrationv1.MatchCondition, update bool) field.ErrorList {
	var errs field.ErrorList
	if len(conditions) > maxMatchConditions {
		errs = append(errs, field.TooMany(path, len(conditions), maxMatchConditions))
	}
	if len(conditions) == 0 {
		return errs
	}
	checker, err := newCELChecker(update)
	if err != nil {
		return append(errs, field.InternalError(path, err))
	}
	names := sets.New[string]()
	for i, mc := range conditions {
		p := path.Index(i)
		switch {
		case mc.Name == "":
			errs = append(errs, field.Required(p.Child("name"), ""))
		case names.Has(mc.Name):
			errs = append(errs, field.Duplicate(p.Child("name"), mc.Name))
		default:
			for _, msg := range utilvalidation.IsQualifiedName(mc.Name) {
				errs = append(errs, field.Invalid(p.Child("name"), mc.Name, msg))
			}
		}
		names.Insert(mc.Name)
		condition := matchconditions.MatchCondition(mc)
		checker.check(p.Child("expression"), &condition, plugincel.OptionalVariableDeclarations{HasAuthorizer: true})
	}
	return append(errs, checker.errs...)
}

// webhookCount is kubectl's WEBHOOKS column of either configuration kind, as kube-apiserver prints it.
func webhookCount(o runtime.Object) []interface{} {
	switch c := o.(type) {
	case *admissionregistrationv1.ValidatingWebhookConfiguration:
		return []interface{}{int64(len(c.Webhooks))}
	case *admissionregistrationv1.MutatingWebhookConfiguration:
		return []interface{}{int64(len(c.Webhooks))}
	}
	return []interface{}{int64(0)}
}
