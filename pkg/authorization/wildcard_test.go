package authorization

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func TestWildcardGuard(t *testing.T) {
	guard := WithWildcardGuard(authorizer.AuthorizerFunc(func(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
		return authorizer.DecisionAllow, "", nil // the delegate allows everything; the guard must still refuse
	}))
	admin := &user.DefaultInfo{Name: "admin", Groups: []string{PrivilegedGroup}}
	alice := &user.DefaultInfo{Name: "alice", Groups: []string{"system:authenticated"}}
	wildcard := logicalcluster.WithCluster(context.Background(), logicalcluster.Wildcard)
	concrete := logicalcluster.WithCluster(context.Background(), "abc")

	cases := []struct {
		name string
		ctx  context.Context
		attr authorizer.AttributesRecord
		want authorizer.Decision
	}{
		{"admin lists", wildcard, authorizer.AttributesRecord{User: admin, Verb: "list", ResourceRequest: true, Resource: "configmaps"}, authorizer.DecisionAllow},
		{"admin watches", wildcard, authorizer.AttributesRecord{User: admin, Verb: "watch", ResourceRequest: true, Resource: "configmaps"}, authorizer.DecisionAllow},
		{"admin discovery", wildcard, authorizer.AttributesRecord{User: admin, Verb: "get", Path: "/apis/rbac.authorization.k8s.io"}, authorizer.DecisionAllow},
		{"admin get", wildcard, authorizer.AttributesRecord{User: admin, Verb: "get", ResourceRequest: true, Resource: "configmaps", Name: "x"}, authorizer.DecisionDeny},
		{"admin create", wildcard, authorizer.AttributesRecord{User: admin, Verb: "create", ResourceRequest: true, Resource: "configmaps"}, authorizer.DecisionDeny},
		{"admin deletecollection", wildcard, authorizer.AttributesRecord{User: admin, Verb: "deletecollection", ResourceRequest: true, Resource: "configmaps"}, authorizer.DecisionDeny},
		{"admin non-resource post", wildcard, authorizer.AttributesRecord{User: admin, Verb: "post", Path: "/api"}, authorizer.DecisionDeny},
		{"admin other path", wildcard, authorizer.AttributesRecord{User: admin, Verb: "get", Path: "/metrics"}, authorizer.DecisionDeny},
		{"admin lookalike path", wildcard, authorizer.AttributesRecord{User: admin, Verb: "get", Path: "/apisx"}, authorizer.DecisionDeny},
		{"user lists", wildcard, authorizer.AttributesRecord{User: alice, Verb: "list", ResourceRequest: true, Resource: "configmaps"}, authorizer.DecisionDeny},
		{"anonymous lists", wildcard, authorizer.AttributesRecord{Verb: "list", ResourceRequest: true, Resource: "configmaps"}, authorizer.DecisionDeny},
		{"user in a workspace goes to the delegate", concrete, authorizer.AttributesRecord{User: alice, Verb: "create", ResourceRequest: true, Resource: "configmaps"}, authorizer.DecisionAllow},
	}
	for _, c := range cases {
		got, reason, err := guard.Authorize(c.ctx, c.attr)
		assert.NoError(t, err, c.name)
		assert.Equal(t, c.want, got, c.name)
		if got == authorizer.DecisionDeny {
			assert.NotEmpty(t, reason, c.name)
		}
	}
}
