package registry

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// aliceGets allows the verb get to alice and nothing else.
var aliceGets = authorizer.AuthorizerFunc(func(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	if a.GetUser().GetName() == "alice" && a.GetVerb() == "get" {
		return authorizer.DecisionAllow, "alice may get", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
})

// getOnly knows one rule: get pods.
type getOnly struct{}

func (getOnly) RulesFor(context.Context, user.Info, string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	return []authorizer.ResourceRuleInfo{&authorizer.DefaultResourceRuleInfo{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}}, nil, false, nil
}

func TestAccessReviews(t *testing.T) {
	storages, err := AccessReviews(aliceGets, getOnly{})(nil)
	require.NoError(t, err)
	create := func(ctx context.Context, resource string, obj runtime.Object) (runtime.Object, error) {
		t.Helper()
		for gvr, s := range storages {
			if gvr.Resource == resource {
				return s.(rest.Creater).Create(ctx, obj, nil, &metav1.CreateOptions{})
			}
		}
		t.Fatalf("no storage for %s", resource)
		return nil, nil
	}
	alice := genericapirequest.WithUser(genericapirequest.WithNamespace(context.Background(), "ns"),
		&user.DefaultInfo{Name: "alice", Groups: []string{"devs"}, Extra: map[string][]string{"k": {"v"}}})
	get := &authorizationv1.ResourceAttributes{Verb: "get", Resource: "pods", Namespace: "ns"}

	out, err := create(alice, "selfsubjectaccessreviews", &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: get}})
	require.NoError(t, err)
	assert.True(t, out.(*authorizationv1.SelfSubjectAccessReview).Status.Allowed)

	out, err = create(alice, "subjectaccessreviews", &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{User: "bob", ResourceAttributes: get}})
	require.NoError(t, err)
	assert.False(t, out.(*authorizationv1.SubjectAccessReview).Status.Allowed)
	_, err = create(alice, "subjectaccessreviews", &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{ResourceAttributes: get}})
	assert.True(t, apierrors.IsBadRequest(err), "no user or groups: %v", err)

	out, err = create(alice, "localsubjectaccessreviews", &authorizationv1.LocalSubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: get}})
	require.NoError(t, err)
	assert.True(t, out.(*authorizationv1.LocalSubjectAccessReview).Status.Allowed)
	other := *get
	other.Namespace = "elsewhere"
	_, err = create(alice, "localsubjectaccessreviews", &authorizationv1.LocalSubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{User: "alice", ResourceAttributes: &other}})
	assert.True(t, apierrors.IsBadRequest(err), "namespace of another request: %v", err)

	out, err = create(alice, "selfsubjectrulesreviews", &authorizationv1.SelfSubjectRulesReview{
		Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "ns"}})
	require.NoError(t, err)
	assert.Equal(t, []authorizationv1.ResourceRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}},
		out.(*authorizationv1.SelfSubjectRulesReview).Status.ResourceRules)

	out, err = create(alice, "selfsubjectreviews", &authenticationv1.SelfSubjectReview{})
	require.NoError(t, err)
	assert.Equal(t, authenticationv1.UserInfo{Username: "alice", Groups: []string{"devs"}, Extra: map[string]authenticationv1.ExtraValue{"k": {"v"}}},
		out.(*authenticationv1.SelfSubjectReview).Status.UserInfo)

	_, err = create(context.Background(), "selfsubjectreviews", &authenticationv1.SelfSubjectReview{})
	assert.True(t, apierrors.IsBadRequest(err), "no user: %v", err)
}
