package registry

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
)

// reviewREST serves a create-only review resource: nothing is stored, the answer is computed from the request.
type reviewREST struct {
	newFunc    func() runtime.Object
	singular   string
	namespaced bool
	review     func(ctx context.Context, obj runtime.Object) (runtime.Object, error)
}

var (
	_ rest.Creater              = &reviewREST{}
	_ rest.Scoper               = &reviewREST{}
	_ rest.SingularNameProvider = &reviewREST{}
)

func (r *reviewREST) New() runtime.Object     { return r.newFunc() }
func (r *reviewREST) Destroy()                {}
func (r *reviewREST) NamespaceScoped() bool   { return r.namespaced }
func (r *reviewREST) GetSingularName() string { return r.singular }
func (r *reviewREST) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	if createValidation != nil {
		if err := createValidation(ctx, obj); err != nil {
			return nil, err
		}
	}
	return r.review(ctx, obj)
}

// AccessReviews is the resourceSet of the review APIs kubectl auth uses, answered in the request's workspace by
// authz (the server's whole authorizer) and rules: selfsubjectaccessreviews, subjectaccessreviews,
// localsubjectaccessreviews, selfsubjectrulesreviews (authorization.k8s.io/v1) and selfsubjectreviews
// (authentication.k8s.io/v1).
func AccessReviews(authz authorizer.Authorizer, rules authorizer.RuleResolver) resourceSet {
	r := reviewer{authz: authz, rules: rules}
	return func(generic.RESTOptionsGetter) (map[schema.GroupVersionResource]rest.Storage, error) {
		gv := authorizationv1.SchemeGroupVersion
		return map[schema.GroupVersionResource]rest.Storage{
			gv.WithResource("selfsubjectaccessreviews"): &reviewREST{
				newFunc: func() runtime.Object { return &authorizationv1.SelfSubjectAccessReview{} }, singular: "selfsubjectaccessreview",
				review: r.selfSubjectAccessReview,
			},
			gv.WithResource("subjectaccessreviews"): &reviewREST{
				newFunc: func() runtime.Object { return &authorizationv1.SubjectAccessReview{} }, singular: "subjectaccessreview",
				review: r.subjectAccessReview,
			},
			gv.WithResource("localsubjectaccessreviews"): &reviewREST{
				newFunc: func() runtime.Object { return &authorizationv1.LocalSubjectAccessReview{} }, singular: "localsubjectaccessreview", namespaced: true,
				review: r.localSubjectAccessReview,
			},
			gv.WithResource("selfsubjectrulesreviews"): &reviewREST{
				newFunc: func() runtime.Object { return &authorizationv1.SelfSubjectRulesReview{} }, singular: "selfsubjectrulesreview",
				review: r.selfSubjectRulesReview,
			},
			authenticationv1.SchemeGroupVersion.WithResource("selfsubjectreviews"): &reviewREST{
				newFunc: func() runtime.Object { return &authenticationv1.SelfSubjectReview{} }, singular: "selfsubjectreview",
				review: selfSubjectReview,
			},
		}, nil
	}
}

// reviewer answers the access reviews with the server's whole authorizer and its rule resolver.
type reviewer struct {
	authz authorizer.Authorizer
	rules authorizer.RuleResolver
}

// decide fills status with what the authorizer decides for u and spec.
func (r reviewer) decide(ctx context.Context, u user.Info, spec authorizationv1.SubjectAccessReviewSpec, status *authorizationv1.SubjectAccessReviewStatus) error {
	attrs := authorizer.AttributesRecord{User: u}
	switch {
	case spec.ResourceAttributes != nil:
		ra := spec.ResourceAttributes
		attrs.ResourceRequest, attrs.Verb, attrs.Namespace, attrs.APIGroup = true, ra.Verb, ra.Namespace, ra.Group
		attrs.APIVersion, attrs.Resource, attrs.Subresource, attrs.Name = ra.Version, ra.Resource, ra.Subresource, ra.Name
	case spec.NonResourceAttributes != nil:
		attrs.Verb, attrs.Path = spec.NonResourceAttributes.Verb, spec.NonResourceAttributes.Path
	default:
		return apierrors.NewBadRequest("exactly one of spec.resourceAttributes and spec.nonResourceAttributes must be set")
	}
	decision, reason, err := r.authz.Authorize(ctx, attrs)
	status.Allowed = decision == authorizer.DecisionAllow
	status.Denied = decision == authorizer.DecisionDeny
	status.Reason = reason
	if err != nil {
		status.EvaluationError = err.Error()
	}
	return nil
}

func (r reviewer) selfSubjectAccessReview(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	review := obj.(*authorizationv1.SelfSubjectAccessReview)
	u, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	spec := authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: review.Spec.ResourceAttributes, NonResourceAttributes: review.Spec.NonResourceAttributes}
	return review, r.decide(ctx, u, spec, &review.Status)
}

func (r reviewer) subjectAccessReview(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	review := obj.(*authorizationv1.SubjectAccessReview)
	if review.Spec.User == "" && len(review.Spec.Groups) == 0 {
		return nil, apierrors.NewBadRequest("spec.user or spec.groups is required")
	}
	return review, r.decide(ctx, subject(review.Spec), review.Spec, &review.Status)
}

func (r reviewer) localSubjectAccessReview(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	review := obj.(*authorizationv1.LocalSubjectAccessReview)
	ns, _ := genericapirequest.NamespaceFrom(ctx)
	if ra := review.Spec.ResourceAttributes; ra == nil || ra.Namespace != ns {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("spec.resourceAttributes.namespace must be %q", ns))
	}
	return review, r.decide(ctx, subject(review.Spec), review.Spec, &review.Status)
}

func (r reviewer) selfSubjectRulesReview(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	review := obj.(*authorizationv1.SelfSubjectRulesReview)
	u, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	resourceRules, nonResourceRules, incomplete, err := r.rules.RulesFor(ctx, u, review.Spec.Namespace)
	review.Status = authorizationv1.SubjectRulesReviewStatus{Incomplete: incomplete}
	if err != nil {
		review.Status.EvaluationError = err.Error()
	}
	for _, rule := range resourceRules {
		review.Status.ResourceRules = append(review.Status.ResourceRules, authorizationv1.ResourceRule{
			Verbs: rule.GetVerbs(), APIGroups: rule.GetAPIGroups(), Resources: rule.GetResources(), ResourceNames: rule.GetResourceNames()})
	}
	for _, rule := range nonResourceRules {
		review.Status.NonResourceRules = append(review.Status.NonResourceRules, authorizationv1.NonResourceRule{
			Verbs: rule.GetVerbs(), NonResourceURLs: rule.GetNonResourceURLs()})
	}
	return review, nil
}

func selfSubjectReview(ctx context.Context, obj runtime.Object) (runtime.Object, error) {
	review := obj.(*authenticationv1.SelfSubjectReview)
	u, err := requester(ctx)
	if err != nil {
		return nil, err
	}
	extra := map[string]authenticationv1.ExtraValue{}
	for k, v := range u.GetExtra() {
		extra[k] = v
	}
	review.Status.UserInfo = authenticationv1.UserInfo{Username: u.GetName(), UID: u.GetUID(), Groups: u.GetGroups(), Extra: extra}
	return review, nil
}

// requester is the user who sent the request.
func requester(ctx context.Context) (user.Info, error) {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user in request")
	}
	return u, nil
}

// subject is the user a (local) subject access review asks about.
func subject(spec authorizationv1.SubjectAccessReviewSpec) user.Info {
	extra := map[string][]string{}
	for k, v := range spec.Extra {
		extra[k] = v
	}
	return &user.DefaultInfo{Name: spec.User, UID: spec.UID, Groups: spec.Groups, Extra: extra}
}
