package registry

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating/patch"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
)

// AdmissionPolicies is the resourceSet of admissionregistration.k8s.io/v1's CEL policies:
// validatingadmissionpolicies(/status), validatingadmissionpolicybindings, mutatingadmissionpolicies and
// mutatingadmissionpolicybindings. Both are cluster-scoped, stored per
// workspace like every built-in; pkg/admissionpolicy enforces them in the workspace they live in.
func AdmissionPolicies(optsGetter generic.RESTOptionsGetter) (map[schema.GroupVersionResource]rest.Storage, error) {
	gv := admissionregistrationv1.SchemeGroupVersion
	policyRules, policyStatus := policyKindRules()
	out, err := statusResource(optsGetter, resource{
		gvr: gv.WithResource("validatingadmissionpolicies"), kind: "ValidatingAdmissionPolicy", singular: "validatingadmissionpolicy",
		newFunc: func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicy{} },
		newList: func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyList{} },
		rules:   policyRules,
	}, policyStatus)
	if err != nil {
		return nil, err
	}
	defaultBinding := func(obj runtime.Object) {
		if m := obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding).Spec.MatchResources; m != nil {
			defaultMatchResources(m)
		}
	}
	bindings, err := newStore(optsGetter, resource{
		gvr: gv.WithResource("validatingadmissionpolicybindings"), kind: "ValidatingAdmissionPolicyBinding", singular: "validatingadmissionpolicybinding",
		newFunc: func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{} },
		newList: func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBindingList{} },
		rules: kindRules{
			validate:         validatePolicyBinding,
			prepareForCreate: func(_ context.Context, obj runtime.Object) { defaultBinding(obj) },
			prepareForUpdate: func(obj, _ runtime.Object) { defaultBinding(obj) },
		},
	})
	if err != nil {
		return nil, err
	}
	out[gv.WithResource("validatingadmissionpolicybindings")] = bindings

	defaultMutating := func(obj runtime.Object) {
		p := obj.(*admissionregistrationv1.MutatingAdmissionPolicy)
		if p.Spec.FailurePolicy == nil {
			fail := admissionregistrationv1.Fail
			p.Spec.FailurePolicy = &fail
		}
		if p.Spec.ReinvocationPolicy == "" {
			p.Spec.ReinvocationPolicy = admissionregistrationv1.NeverReinvocationPolicy
		}
		if p.Spec.MatchConstraints != nil {
			defaultMatchResources(p.Spec.MatchConstraints)
		}
	}
	mutating, err := newStore(optsGetter, resource{
		gvr: gv.WithResource("mutatingadmissionpolicies"), kind: "MutatingAdmissionPolicy", singular: "mutatingadmissionpolicy",
		newFunc: func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicy{} },
		newList: func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyList{} },
		rules: kindRules{
			validate:         validateMutatingPolicy,
			prepareForCreate: func(_ context.Context, obj runtime.Object) { defaultMutating(obj) },
			prepareForUpdate: func(obj, _ runtime.Object) { defaultMutating(obj) },
		},
	})
	if err != nil {
		return nil, err
	}
	out[gv.WithResource("mutatingadmissionpolicies")] = mutating
	defaultMutatingBinding := func(obj runtime.Object) {
		if m := obj.(*admissionregistrationv1.MutatingAdmissionPolicyBinding).Spec.MatchResources; m != nil {
			defaultMatchResources(m)
		}
	}
	mutatingBindings, err := newStore(optsGetter, resource{
		gvr: gv.WithResource("mutatingadmissionpolicybindings"), kind: "MutatingAdmissionPolicyBinding", singular: "mutatingadmissionpolicybinding",
		newFunc: func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyBinding{} },
		newList: func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyBindingList{} },
		rules: kindRules{
			validate:         validateMutatingPolicyBinding,
			prepareForCreate: func(_ context.Context, obj runtime.Object) { defaultMutatingBinding(obj) },
			prepareForUpdate: func(obj, _ runtime.Object) { defaultMutatingBinding(obj) },
		},
	})
	if err != nil {
		return nil, err
	}
	out[gv.WithResource("mutatingadmissionpolicybindings")] = mutatingBindings
	return out, nil
}

// policyKindRules are the rules of a ValidatingAdmissionPolicy's main endpoint (defaults; the generation moves with
// the spec; the status is kept) and of its status endpoint (the spec and generation are kept).
func policyKindRules() (main, status kindRules) {
	policyRules, policyStatus := specAndStatus(validatePolicy, func(_ context.Context, obj runtime.Object) {
		p := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy)
		p.Status = admissionregistrationv1.ValidatingAdmissionPolicyStatus{}
		p.Generation = 1
		defaultPolicy(p)
	})
	keepStatus := policyRules.prepareForUpdate
	policyRules.prepareForUpdate = func(obj, old runtime.Object) {
		keepStatus(obj, old)
		p, oldP := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy), old.(*admissionregistrationv1.ValidatingAdmissionPolicy)
		defaultPolicy(p)
		// The status controller type-checks again whenever the generation moves: only on a change of the spec.
		p.Generation = oldP.Generation
		if !reflect.DeepEqual(p.Spec, oldP.Spec) {
			p.Generation++
		}
	}
	keepSpec := policyStatus.prepareForUpdate
	policyStatus.prepareForUpdate = func(obj, old runtime.Object) {
		keepSpec(obj, old)
		obj.(*admissionregistrationv1.ValidatingAdmissionPolicy).Generation = old.(*admissionregistrationv1.ValidatingAdmissionPolicy).Generation
	}
	return policyRules, policyStatus
}

// defaultPolicy sets the defaults kube-apiserver sets on a ValidatingAdmissionPolicy: failurePolicy Fail and the
// match defaults. The dispatcher relies on them (a nil namespaceSelector would match nothing).
func defaultPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
	if p.Spec.FailurePolicy == nil {
		fail := admissionregistrationv1.Fail
		p.Spec.FailurePolicy = &fail
	}
	if p.Spec.MatchConstraints != nil {
		defaultMatchResources(p.Spec.MatchConstraints)
	}
}

// defaultMatchResources sets matchPolicy Equivalent, empty (match-all) selectors and scope "*" on every rule, as
// kube-apiserver does.
func defaultMatchResources(m *admissionregistrationv1.MatchResources) {
	if m.MatchPolicy == nil {
		equivalent := admissionregistrationv1.Equivalent
		m.MatchPolicy = &equivalent
	}
	if m.NamespaceSelector == nil {
		m.NamespaceSelector = &metav1.LabelSelector{}
	}
	if m.ObjectSelector == nil {
		m.ObjectSelector = &metav1.LabelSelector{}
	}
	for _, rules := range [][]admissionregistrationv1.NamedRuleWithOperations{m.ResourceRules, m.ExcludeResourceRules} {
		for i := range rules {
			if rules[i].Scope == nil {
				all := admissionregistrationv1.AllScopes
				rules[i].Scope = &all
			}
		}
	}
}

var (
	celEnvOnce sync.Once
	celEnv     *environment.EnvSet
)

// policyCompiler returns a compiler of admission CEL in the environment the upstream plugin evaluates in; each
// call gets its own, because compiling variables stores them in it.
func policyCompiler() (*plugincel.CompositedCompiler, error) {
	celEnvOnce.Do(func() { celEnv = environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()) })
	return plugincel.NewCompositedCompiler(celEnv)
}

// celChecker compiles a policy's expressions and reports those that do not compile, as kube-apiserver refuses
// them. Type errors against the matched kinds' schemas are not refused: the status controller reports them as
// warnings (status.typeChecking), as upstream.
type celChecker struct {
	compiler *plugincel.CompositedCompiler
	mode     environment.Type
	errs     field.ErrorList
}

func newCELChecker(update bool) (*celChecker, error) {
	c, err := policyCompiler()
	if err != nil {
		return nil, err
	}
	// Stored expressions may use what a newer version of the environment allows; new ones may not.
	mode := environment.NewExpressions
	if update {
		mode = environment.StoredExpressions
	}
	return &celChecker{compiler: c, mode: mode}, nil
}

func (c *celChecker) check(path *field.Path, expr plugincel.ExpressionAccessor, vars plugincel.OptionalVariableDeclarations) {
	if expr.GetExpression() == "" {
		c.errs = append(c.errs, field.Required(path, ""))
		return
	}
	if res := c.compiler.CompileCELExpression(expr, vars, c.mode); res.Error != nil {
		c.errs = append(c.errs, field.Invalid(path, expr.GetExpression(), "compilation failed: "+res.Error.Detail))
	}
}

// policyCommon is what validating and mutating policies have alike.
type policyCommon struct {
	failurePolicy    *admissionregistrationv1.FailurePolicyType
	paramKind        *admissionregistrationv1.ParamKind
	matchConstraints *admissionregistrationv1.MatchResources
	variables        []admissionregistrationv1.Variable
	matchConditions  []admissionregistrationv1.MatchCondition
}

// validatePolicyCommon checks what validating and mutating policies have alike, and returns the CEL checker with
// the policy's variables compiled in, for the kind's own expressions (nil if none could be built). Its errors are
// the caller's to add.
func validatePolicyCommon(spec *field.Path, c policyCommon, update bool) (field.ErrorList, *celChecker) {
	var errs field.ErrorList
	if c.failurePolicy != nil && *c.failurePolicy != admissionregistrationv1.Fail && *c.failurePolicy != admissionregistrationv1.Ignore {
		errs = append(errs, field.NotSupported(spec.Child("failurePolicy"), *c.failurePolicy, []string{string(admissionregistrationv1.Fail), string(admissionregistrationv1.Ignore)}))
	}
	if c.paramKind != nil {
		pk := spec.Child("paramKind")
		if c.paramKind.Kind == "" {
			errs = append(errs, field.Required(pk.Child("kind"), ""))
		}
		if c.paramKind.APIVersion == "" {
			errs = append(errs, field.Required(pk.Child("apiVersion"), ""))
		} else if gv, err := schema.ParseGroupVersion(c.paramKind.APIVersion); err != nil || gv.Version == "" {
			errs = append(errs, field.Invalid(pk.Child("apiVersion"), c.paramKind.APIVersion, "must be group/version or version"))
		}
	}
	if c.matchConstraints == nil {
		errs = append(errs, field.Required(spec.Child("matchConstraints"), ""))
	} else {
		errs = append(errs, validateMatchResources(spec.Child("matchConstraints"), c.matchConstraints, true)...)
	}
	checker, err := newCELChecker(update)
	if err != nil {
		return append(errs, field.InternalError(spec, err)), nil
	}
	hasParams := c.paramKind != nil
	withAuthz := plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}
	names := sets.New[string]()
	for i, v := range c.variables {
		path := spec.Child("variables").Index(i)
		if v.Name == "" {
			errs = append(errs, field.Required(path.Child("name"), ""))
		} else if names.Has(v.Name) {
			errs = append(errs, field.Duplicate(path.Child("name"), v.Name))
		}
		names.Insert(v.Name)
		if v.Expression == "" {
			errs = append(errs, field.Required(path.Child("expression"), ""))
			continue
		}
		// Later expressions see the variable under its name, typed by what it compiled to.
		if res := checker.compiler.CompileAndStoreVariable(&validating.Variable{Name: v.Name, Expression: v.Expression}, withAuthz, checker.mode); res.Error != nil {
			errs = append(errs, field.Invalid(path.Child("expression"), v.Expression, "compilation failed: "+res.Error.Detail))
		}
	}
	conditionNames := sets.New[string]()
	for i, mc := range c.matchConditions {
		path := spec.Child("matchConditions").Index(i)
		if mc.Name == "" {
			errs = append(errs, field.Required(path.Child("name"), ""))
		} else if conditionNames.Has(mc.Name) {
			errs = append(errs, field.Duplicate(path.Child("name"), mc.Name))
		}
		conditionNames.Insert(mc.Name)
		checker.check(path.Child("expression"), &validating.ValidationCondition{Expression: mc.Expression}, withAuthz)
	}
	return errs, checker
}

func validatePolicy(obj, old runtime.Object) field.ErrorList {
	p := obj.(*admissionregistrationv1.ValidatingAdmissionPolicy)
	errs := validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
	spec := field.NewPath("spec")
	if len(p.Spec.Validations) == 0 && len(p.Spec.AuditAnnotations) == 0 {
		errs = append(errs, field.Required(spec.Child("validations"), "validations or auditAnnotations must contain at least one item"))
	}
	common, checker := validatePolicyCommon(spec, policyCommon{failurePolicy: p.Spec.FailurePolicy, paramKind: p.Spec.ParamKind,
		matchConstraints: p.Spec.MatchConstraints, variables: p.Spec.Variables, matchConditions: p.Spec.MatchConditions}, old != nil)
	errs = append(errs, common...)
	if checker == nil {
		return errs
	}
	hasParams := p.Spec.ParamKind != nil
	withAuthz := plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true}
	reasons := []string{string(metav1.StatusReasonUnauthorized), string(metav1.StatusReasonForbidden),
		string(metav1.StatusReasonInvalid), string(metav1.StatusReasonRequestEntityTooLarge)}
	for i, v := range p.Spec.Validations {
		path := spec.Child("validations").Index(i)
		checker.check(path.Child("expression"), &validating.ValidationCondition{Expression: v.Expression}, withAuthz)
		if strings.Contains(v.Message, "\n") {
			errs = append(errs, field.Invalid(path.Child("message"), v.Message, "must not contain line breaks"))
		}
		if v.MessageExpression != "" {
			checker.check(path.Child("messageExpression"), &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression},
				plugincel.OptionalVariableDeclarations{HasParams: hasParams})
		}
		if v.Reason != nil && !sets.New(reasons...).Has(string(*v.Reason)) {
			errs = append(errs, field.NotSupported(path.Child("reason"), *v.Reason, reasons))
		}
	}
	keys := sets.New[string]()
	for i, a := range p.Spec.AuditAnnotations {
		path := spec.Child("auditAnnotations").Index(i)
		if a.Key == "" {
			errs = append(errs, field.Required(path.Child("key"), ""))
		} else if keys.Has(a.Key) {
			errs = append(errs, field.Duplicate(path.Child("key"), a.Key))
		}
		keys.Insert(a.Key)
		checker.check(path.Child("valueExpression"), &validating.AuditAnnotationCondition{Key: a.Key, ValueExpression: a.ValueExpression}, withAuthz)
	}
	return append(errs, checker.errs...)
}

func validateMutatingPolicy(obj, old runtime.Object) field.ErrorList {
	p := obj.(*admissionregistrationv1.MutatingAdmissionPolicy)
	errs := validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
	spec := field.NewPath("spec")
	if len(p.Spec.Mutations) == 0 {
		errs = append(errs, field.Required(spec.Child("mutations"), "mutations must contain at least one item"))
	}
	reinvocation := []string{string(admissionregistrationv1.NeverReinvocationPolicy), string(admissionregistrationv1.IfNeededReinvocationPolicy)}
	if r := p.Spec.ReinvocationPolicy; r != "" && !sets.New(reinvocation...).Has(string(r)) {
		errs = append(errs, field.NotSupported(spec.Child("reinvocationPolicy"), r, reinvocation))
	}
	common, checker := validatePolicyCommon(spec, policyCommon{failurePolicy: p.Spec.FailurePolicy, paramKind: p.Spec.ParamKind,
		matchConstraints: p.Spec.MatchConstraints, variables: p.Spec.Variables, matchConditions: p.Spec.MatchConditions}, old != nil)
	errs = append(errs, common...)
	if checker == nil {
		return errs
	}
	withPatchTypes := plugincel.OptionalVariableDeclarations{HasParams: p.Spec.ParamKind != nil, HasAuthorizer: true, HasPatchTypes: true}
	patchTypes := []string{string(admissionregistrationv1.PatchTypeApplyConfiguration), string(admissionregistrationv1.PatchTypeJSONPatch)}
	for i, m := range p.Spec.Mutations {
		path := spec.Child("mutations").Index(i)
		switch m.PatchType {
		case admissionregistrationv1.PatchTypeApplyConfiguration:
			if m.ApplyConfiguration == nil {
				errs = append(errs, field.Required(path.Child("applyConfiguration"), "required when patchType is ApplyConfiguration"))
			} else {
				checker.check(path.Child("applyConfiguration", "expression"), &patch.ApplyConfigurationCondition{Expression: m.ApplyConfiguration.Expression}, withPatchTypes)
			}
			if m.JSONPatch != nil {
				errs = append(errs, field.Forbidden(path.Child("jsonPatch"), "must not be set when patchType is ApplyConfiguration"))
			}
		case admissionregistrationv1.PatchTypeJSONPatch:
			if m.JSONPatch == nil {
				errs = append(errs, field.Required(path.Child("jsonPatch"), "required when patchType is JSONPatch"))
			} else {
				checker.check(path.Child("jsonPatch", "expression"), &patch.JSONPatchCondition{Expression: m.JSONPatch.Expression}, withPatchTypes)
			}
			if m.ApplyConfiguration != nil {
				errs = append(errs, field.Forbidden(path.Child("applyConfiguration"), "must not be set when patchType is JSONPatch"))
			}
		default:
			errs = append(errs, field.NotSupported(path.Child("patchType"), m.PatchType, patchTypes))
		}
	}
	return append(errs, checker.errs...)
}

func validateMutatingPolicyBinding(obj, _ runtime.Object) field.ErrorList {
	b := obj.(*admissionregistrationv1.MutatingAdmissionPolicyBinding)
	errs := validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
	spec := field.NewPath("spec")
	if b.Spec.PolicyName == "" {
		errs = append(errs, field.Required(spec.Child("policyName"), ""))
	}
	return append(errs, validateBindingCommon(spec, b.Spec.ParamRef, b.Spec.MatchResources)...)
}

var validOperations = []string{string(admissionregistrationv1.OperationAll), string(admissionregistrationv1.Create),
	string(admissionregistrationv1.Update), string(admissionregistrationv1.Delete), string(admissionregistrationv1.Connect)}

// validateMatchResources checks a policy's matchConstraints (rulesRequired) or a binding's matchResources.
func validateMatchResources(path *field.Path, m *admissionregistrationv1.MatchResources, rulesRequired bool) field.ErrorList {
	var errs field.ErrorList
	if m.MatchPolicy != nil && *m.MatchPolicy != admissionregistrationv1.Exact && *m.MatchPolicy != admissionregistrationv1.Equivalent {
		errs = append(errs, field.NotSupported(path.Child("matchPolicy"), *m.MatchPolicy, []string{string(admissionregistrationv1.Exact), string(admissionregistrationv1.Equivalent)}))
	}
	opts := metav1validation.LabelSelectorValidationOptions{}
	if m.NamespaceSelector != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(m.NamespaceSelector, opts, path.Child("namespaceSelector"))...)
	}
	if m.ObjectSelector != nil {
		errs = append(errs, metav1validation.ValidateLabelSelector(m.ObjectSelector, opts, path.Child("objectSelector"))...)
	}
	if rulesRequired && len(m.ResourceRules) == 0 {
		errs = append(errs, field.Required(path.Child("resourceRules"), ""))
	}
	for name, rules := range map[string][]admissionregistrationv1.NamedRuleWithOperations{"resourceRules": m.ResourceRules, "excludeResourceRules": m.ExcludeResourceRules} {
		for i, r := range rules {
			errs = append(errs, validateRule(path.Child(name).Index(i), r)...)
		}
	}
	return errs
}

func validateRule(path *field.Path, r admissionregistrationv1.NamedRuleWithOperations) field.ErrorList {
	var errs field.ErrorList
	if len(r.Operations) == 0 {
		errs = append(errs, field.Required(path.Child("operations"), ""))
	}
	for j, op := range r.Operations {
		if !sets.New(validOperations...).Has(string(op)) {
			errs = append(errs, field.NotSupported(path.Child("operations").Index(j), op, validOperations))
		}
	}
	for name, values := range map[string][]string{"apiGroups": r.APIGroups, "apiVersions": r.APIVersions, "resources": r.Resources} {
		if len(values) == 0 {
			errs = append(errs, field.Required(path.Child(name), ""))
		}
		for j, v := range values {
			if v == "" && name != "apiGroups" {
				errs = append(errs, field.Required(path.Child(name).Index(j), ""))
			}
		}
	}
	if r.Scope != nil {
		scopes := []string{string(admissionregistrationv1.AllScopes), string(admissionregistrationv1.ClusterScope), string(admissionregistrationv1.NamespacedScope)}
		if !sets.New(scopes...).Has(string(*r.Scope)) {
			errs = append(errs, field.NotSupported(path.Child("scope"), *r.Scope, scopes))
		}
	}
	return errs
}

func validatePolicyBinding(obj, _ runtime.Object) field.ErrorList {
	b := obj.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
	errs := validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
	spec := field.NewPath("spec")
	if b.Spec.PolicyName == "" {
		errs = append(errs, field.Required(spec.Child("policyName"), ""))
	}
	actions := []string{string(admissionregistrationv1.Deny), string(admissionregistrationv1.Warn), string(admissionregistrationv1.Audit)}
	if len(b.Spec.ValidationActions) == 0 {
		errs = append(errs, field.Required(spec.Child("validationActions"), "at least one validation action is required"))
	}
	seen := sets.New[admissionregistrationv1.ValidationAction]()
	for i, a := range b.Spec.ValidationActions {
		path := spec.Child("validationActions").Index(i)
		switch {
		case !sets.New(actions...).Has(string(a)):
			errs = append(errs, field.NotSupported(path, a, actions))
		case seen.Has(a):
			errs = append(errs, field.Duplicate(path, a))
		}
		seen.Insert(a)
	}
	if seen.Has(admissionregistrationv1.Deny) && seen.Has(admissionregistrationv1.Warn) {
		errs = append(errs, field.Invalid(spec.Child("validationActions"), b.Spec.ValidationActions,
			"must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	return append(errs, validateBindingCommon(spec, b.Spec.ParamRef, b.Spec.MatchResources)...)
}

// validateBindingCommon checks what bindings of validating and mutating policies have alike: the parameters and
// the resources matched.
func validateBindingCommon(spec *field.Path, paramRef *admissionregistrationv1.ParamRef, matchResources *admissionregistrationv1.MatchResources) field.ErrorList {
	var errs field.ErrorList
	if ref := paramRef; ref != nil {
		path := spec.Child("paramRef")
		switch {
		case ref.Name != "" && ref.Selector != nil:
			errs = append(errs, field.Forbidden(path.Child("name"), "name and selector are mutually exclusive"))
		case ref.Name == "" && ref.Selector == nil:
			errs = append(errs, field.Required(path, "one of name or selector must be specified"))
		case ref.Selector != nil:
			errs = append(errs, metav1validation.ValidateLabelSelector(ref.Selector, metav1validation.LabelSelectorValidationOptions{}, path.Child("selector"))...)
		}
		notFound := []string{string(admissionregistrationv1.AllowAction), string(admissionregistrationv1.DenyAction)}
		if ref.ParameterNotFoundAction == nil {
			errs = append(errs, field.Required(path.Child("parameterNotFoundAction"), ""))
		} else if !sets.New(notFound...).Has(string(*ref.ParameterNotFoundAction)) {
			errs = append(errs, field.NotSupported(path.Child("parameterNotFoundAction"), *ref.ParameterNotFoundAction, notFound))
		}
	}
	if matchResources != nil {
		errs = append(errs, validateMatchResources(spec.Child("matchResources"), matchResources, false)...)
	}
	return errs
}

// DefaultPolicyObjects returns the ValidatingAdmissionPolicy and its binding that a WorkspaceType's default policy
// creates in a new workspace.
func DefaultPolicyObjects(d tenancyv1alpha1.DefaultAdmissionPolicy) (*admissionregistrationv1.ValidatingAdmissionPolicy, *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	actions := d.ValidationActions
	if len(actions) == 0 {
		actions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}
	}
	meta := metav1.ObjectMeta{Name: d.Name, Labels: map[string]string{DefaultPolicyLabel: "true"}}
	return &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: meta, Spec: *d.Policy.DeepCopy()},
		&admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: *meta.DeepCopy(),
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: d.Name, ValidationActions: actions}}
}

// DefaultPolicyLabel marks the policies and bindings a workspace got from its WorkspaceType.
const DefaultPolicyLabel = "tenancy.gantry.dev/from-workspacetype"

// validateDefaultPolicies checks a WorkspaceType's default policies as the policies and bindings they become, so that
// a workspace of the type is never left half-initialized by a policy the server refuses.
func validateDefaultPolicies(path *field.Path, defaults []tenancyv1alpha1.DefaultAdmissionPolicy) field.ErrorList {
	var errs field.ErrorList
	names := sets.New[string]()
	for i, d := range defaults {
		p := path.Index(i)
		if names.Has(d.Name) {
			errs = append(errs, field.Duplicate(p.Child("name"), d.Name))
		}
		names.Insert(d.Name)
		policy, binding := DefaultPolicyObjects(d)
		// The errors name the policy's fields; say where they are in the WorkspaceType.
		reroot := func(list field.ErrorList, spec *field.Path) {
			for _, e := range list {
				switch {
				case e.Field == "metadata.name":
					e.Field = p.Child("name").String()
				case strings.HasPrefix(e.Field, "spec"):
					e.Field = spec.String() + strings.TrimPrefix(e.Field, "spec")
				}
				errs = append(errs, e)
			}
		}
		reroot(validatePolicy(policy, nil), p.Child("policy"))
		bindingErrs := validatePolicyBinding(binding, nil)
		// The binding's name and policyName are the policy's name, reported once.
		var actionErrs field.ErrorList
		for _, e := range bindingErrs {
			if strings.HasPrefix(e.Field, "spec.validationActions") {
				actionErrs = append(actionErrs, e)
			}
		}
		reroot(actionErrs, p)
	}
	return errs
}

// policyColumns are kubectl's columns of a ValidatingAdmissionPolicy, as kube-apiserver prints them.
func policyColumns(o runtime.Object) []interface{} {
	p := o.(*admissionregistrationv1.ValidatingAdmissionPolicy)
	var validations int64 = int64(len(p.Spec.Validations))
	param := "<unset>"
	if pk := p.Spec.ParamKind; pk != nil {
		param = fmt.Sprintf("%s/%s", pk.APIVersion, pk.Kind)
	}
	return []interface{}{validations, param}
}

// bindingColumns are kubectl's columns of a ValidatingAdmissionPolicyBinding.
func bindingColumns(o runtime.Object) []interface{} {
	b := o.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
	param := "<unset>"
	if ref := b.Spec.ParamRef; ref != nil && ref.Name != "" {
		param = ref.Name
		if ref.Namespace != "" {
			param = ref.Namespace + "/" + ref.Name
		}
	} else if ref != nil {
		param = "*"
	}
	return []interface{}{b.Spec.PolicyName, param}
}
