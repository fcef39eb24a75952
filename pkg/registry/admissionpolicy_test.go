package registry

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
)

func validPolicy() *admissionregistrationv1.ValidatingAdmissionPolicy {
	return &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "max-gpus"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{"serving.gantry.dev"}, APIVersions: []string{"*"}, Resources: []string{"inferenceservices"}},
				}}}},
			Variables:   []admissionregistrationv1.Variable{{Name: "limit", Expression: "8"}},
			Validations: []admissionregistrationv1.Validation{{Expression: "object.spec.gpus <= variables.limit", MessageExpression: "'too many: ' + string(object.spec.gpus)"}},
		}}
}

func TestPolicyDefaults(t *testing.T) {
	p := validPolicy()
	defaultPolicy(p)
	assert.Equal(t, admissionregistrationv1.Fail, *p.Spec.FailurePolicy)
	m := p.Spec.MatchConstraints
	assert.Equal(t, admissionregistrationv1.Equivalent, *m.MatchPolicy)
	assert.Equal(t, &metav1.LabelSelector{}, m.NamespaceSelector, "an empty selector matches everything; nil would match nothing")
	assert.Equal(t, &metav1.LabelSelector{}, m.ObjectSelector)
	assert.Equal(t, admissionregistrationv1.AllScopes, *m.ResourceRules[0].Scope)
}

func TestPolicyValidation(t *testing.T) {
	require.Empty(t, validatePolicy(validPolicy(), nil))
	for name, c := range map[string]struct {
		change func(*admissionregistrationv1.ValidatingAdmissionPolicySpec)
		field  string
		typ    field.ErrorType
	}{
		"syntax error": {func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			s.Validations[0].Expression = "object.spec.gpus <="
		},
			"spec.validations[0].expression", field.ErrorTypeInvalid},
		"unknown variable": {func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			s.Validations[0].Expression = "variables.nope > 1"
		},
			"spec.validations[0].expression", field.ErrorTypeInvalid},
		"params without paramKind": {func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			s.Validations[0].Expression = "params.max > 1"
		},
			"spec.validations[0].expression", field.ErrorTypeInvalid},
		"message expression with the authorizer": {func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			s.Validations[0].MessageExpression = "string(authorizer.group('').resource('pods').check('get').allowed())"
		}, "spec.validations[0].messageExpression", field.ErrorTypeInvalid},
		"no validations": {func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) { s.Validations = nil },
			"spec.validations", field.ErrorTypeRequired},
		"no match constraints": {func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) { s.MatchConstraints = nil },
			"spec.matchConstraints", field.ErrorTypeRequired},
		"no resource rules": {func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) { s.MatchConstraints.ResourceRules = nil },
			"spec.matchConstraints.resourceRules", field.ErrorTypeRequired},
		"unknown operation": {func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			s.MatchConstraints.ResourceRules[0].Operations = []admissionregistrationv1.OperationType{"EXPLODE"}
		}, "spec.matchConstraints.resourceRules[0].operations[0]", field.ErrorTypeNotSupported},
		"unknown failure policy": {func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			sometimes := admissionregistrationv1.FailurePolicyType("Sometimes")
			s.FailurePolicy = &sometimes
		}, "spec.failurePolicy", field.ErrorTypeNotSupported},
		"duplicate variable": {func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			s.Variables = append(s.Variables, s.Variables[0])
		}, "spec.variables[1].name", field.ErrorTypeDuplicate},
		"paramKind without kind": {func(s *admissionregistrationv1.ValidatingAdmissionPolicySpec) {
			s.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1"}
		}, "spec.paramKind.kind", field.ErrorTypeRequired},
	} {
		t.Run(name, func(t *testing.T) {
			p := validPolicy()
			c.change(&p.Spec)
			errs := validatePolicy(p, nil)
			require.NotEmpty(t, errs)
			assert.Equal(t, c.field, errs[0].Field, errs.ToAggregate().Error())
			assert.Equal(t, c.typ, errs[0].Type)
		})
	}
	p := validPolicy()
	p.Spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
	p.Spec.Validations[0].Expression = "object.spec.gpus <= int(params.data.max)"
	assert.Empty(t, validatePolicy(p, nil), "params are declared with a paramKind")
}

func TestPolicyGenerationFollowsTheSpec(t *testing.T) {
	main, status := policyKindRules()
	create := func() *admissionregistrationv1.ValidatingAdmissionPolicy {
		p := validPolicy()
		p.Generation = 1
		defaultPolicy(p) // as stored
		return p
	}
	old, changed := create(), create()
	changed.Spec.Validations[0].Expression = "true"
	newStrategy(main).PrepareForUpdate(context.Background(), changed, old)
	assert.Equal(t, int64(2), changed.Generation, "a spec change moves the generation")
	same := create()
	same.Status.ObservedGeneration = 5
	newStrategy(main).PrepareForUpdate(context.Background(), same, create())
	assert.Equal(t, int64(1), same.Generation)
	assert.Equal(t, int64(0), same.Status.ObservedGeneration, "the main endpoint keeps the stored status")

	written := create()
	written.Status.ObservedGeneration = 1
	written.Generation = 7
	written.Spec.Validations = nil
	newStrategy(status).PrepareForUpdate(context.Background(), written, create())
	assert.Equal(t, int64(1), written.Generation, "the status endpoint keeps the generation")
	assert.Len(t, written.Spec.Validations, 1, "and the spec")
	assert.Equal(t, int64(1), written.Status.ObservedGeneration)
}

func TestBindingValidation(t *testing.T) {
	valid := func() *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
		return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "max-gpus"},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "max-gpus",
				ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny, admissionregistrationv1.Audit}}}
	}
	require.Empty(t, validatePolicyBinding(valid(), nil))
	deny := admissionregistrationv1.DenyAction
	for name, c := range map[string]struct {
		change func(*admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec)
		field  string
	}{
		"no policy":  {func(s *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) { s.PolicyName = "" }, "spec.policyName"},
		"no actions": {func(s *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) { s.ValidationActions = nil }, "spec.validationActions"},
		"unknown action": {func(s *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			s.ValidationActions = []admissionregistrationv1.ValidationAction{"Shout"}
		}, "spec.validationActions[0]"},
		"deny and warn": {func(s *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			s.ValidationActions = []admissionregistrationv1.ValidationAction{"Deny", "Warn"}
		}, "spec.validationActions"},
		"duplicate action": {func(s *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			s.ValidationActions = []admissionregistrationv1.ValidationAction{"Warn", "Warn"}
		}, "spec.validationActions[1]"},
		"paramRef no action": {func(s *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			s.ParamRef = &admissionregistrationv1.ParamRef{Name: "x"}
		}, "spec.paramRef.parameterNotFoundAction"},
		"paramRef name and selector": {func(s *admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec) {
			s.ParamRef = &admissionregistrationv1.ParamRef{Name: "x", Selector: &metav1.LabelSelector{}, ParameterNotFoundAction: &deny}
		}, "spec.paramRef.name"},
	} {
		t.Run(name, func(t *testing.T) {
			b := valid()
			c.change(&b.Spec)
			errs := validatePolicyBinding(b, nil)
			require.NotEmpty(t, errs)
			assert.Equal(t, c.field, errs[0].Field, errs.ToAggregate().Error())
		})
	}
}

func TestMutatingPolicyValidation(t *testing.T) {
	valid := func() *admissionregistrationv1.MutatingAdmissionPolicy {
		v := validPolicy()
		return &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "clamp"},
			Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{MatchConstraints: v.Spec.MatchConstraints,
				Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
					ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: "Object{spec: Object.spec{gpus: 8}}"}}}}}
	}
	require.Empty(t, validateMutatingPolicy(valid(), nil))
	for name, c := range map[string]struct {
		change func(*admissionregistrationv1.MutatingAdmissionPolicySpec)
		field  string
	}{
		"no mutations": {func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) { s.Mutations = nil }, "spec.mutations"},
		"unknown patch type": {func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) { s.Mutations[0].PatchType = "Merge" },
			"spec.mutations[0].patchType"},
		"JSONPatch without its expression": {func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) {
			s.Mutations[0].PatchType = admissionregistrationv1.PatchTypeJSONPatch
		}, "spec.mutations[0].jsonPatch"},
		"syntax error": {func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) {
			s.Mutations[0].ApplyConfiguration.Expression = "Object{spec: "
		}, "spec.mutations[0].applyConfiguration.expression"},
		"unknown reinvocation policy": {func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) { s.ReinvocationPolicy = "Always" },
			"spec.reinvocationPolicy"},
		"no match constraints": {func(s *admissionregistrationv1.MutatingAdmissionPolicySpec) { s.MatchConstraints = nil }, "spec.matchConstraints"},
	} {
		t.Run(name, func(t *testing.T) {
			p := valid()
			c.change(&p.Spec)
			errs := validateMutatingPolicy(p, nil)
			require.NotEmpty(t, errs)
			assert.Equal(t, c.field, errs[0].Field, errs.ToAggregate().Error())
		})
	}
	b := &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "clamp"}}
	errs := validateMutatingPolicyBinding(b, nil)
	require.Len(t, errs, 1)
	assert.Equal(t, "spec.policyName", errs[0].Field)
}

func TestWorkspaceTypeDefaultPolicies(t *testing.T) {
	d := tenancyv1alpha1.DefaultAdmissionPolicy{Name: "max-gpus", Policy: validPolicy().Spec}
	policy, binding := DefaultPolicyObjects(d)
	assert.Equal(t, "max-gpus", policy.Name)
	assert.Equal(t, "max-gpus", binding.Spec.PolicyName)
	assert.Equal(t, []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}, binding.Spec.ValidationActions, "Deny by default")
	assert.Equal(t, "true", policy.Labels[DefaultPolicyLabel])

	path := field.NewPath("spec", "defaultAdmissionPolicies")
	assert.Empty(t, validateDefaultPolicies(path, []tenancyv1alpha1.DefaultAdmissionPolicy{d}))
	broken := *d.DeepCopy()
	broken.Policy.Validations[0].Expression = "object.spec.gpus <="
	broken.ValidationActions = []admissionregistrationv1.ValidationAction{"Shout"}
	errs := validateDefaultPolicies(path, []tenancyv1alpha1.DefaultAdmissionPolicy{d, d, broken})
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	assert.ElementsMatch(t, []string{"spec.defaultAdmissionPolicies[1].name", "spec.defaultAdmissionPolicies[2].name",
		"spec.defaultAdmissionPolicies[2].validationActions[0]", "spec.defaultAdmissionPolicies[2].policy.validations[0].expression"}, fields)
}
