package virtualworkspace

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// contentHolders may use the export "widgets" of cluster "provider".
type contentHolders map[string]bool

func (c contentHolders) Authorize(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	cluster, _ := logicalcluster.From(ctx)
	if cluster == "provider" && a.GetVerb() == ContentVerb && a.GetResource() == "apiexports" && a.GetName() == "widgets" && c[a.GetUser().GetName()] {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionDeny, "", nil
}

type widgetsOnly struct{}

func (widgetsOnly) Exports(_ Export, r schema.GroupResource) bool {
	return r == schema.GroupResource{Group: "example.com", Resource: "widgets"}
}

func TestAuthorizer(t *testing.T) {
	delegated := false
	delegate := authorizer.AuthorizerFunc(func(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
		delegated = true
		return authorizer.DecisionAllow, "", nil
	})
	authz := WithAuthorizer(delegate, authorizer.AuthorizerFunc(contentHolders{"dave": true}.Authorize), widgetsOnly{})
	export := Export{Path: "root:provider", Cluster: "provider", Name: "widgets"}
	vw := WithExport(logicalcluster.WithCluster(context.Background(), logicalcluster.Wildcard), export)
	dave, bob := &user.DefaultInfo{Name: "dave"}, &user.DefaultInfo{Name: "bob"}
	resource := func(u user.Info, verb, group, res, sub string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: u, Verb: verb, APIGroup: group, Resource: res, Subresource: sub, ResourceRequest: true}
	}

	cases := []struct {
		name  string
		ctx   context.Context
		attrs authorizer.AttributesRecord
		allow bool
	}{
		{"list exported", vw, resource(dave, "list", "example.com", "widgets", ""), true},
		{"patch status", vw, resource(dave, "patch", "example.com", "widgets", "status"), true},
		{"delete", vw, resource(dave, "delete", "example.com", "widgets", ""), false},
		{"create", vw, resource(dave, "create", "example.com", "widgets", ""), false},
		{"scale", vw, resource(dave, "update", "example.com", "widgets", "scale"), false},
		{"not exported", vw, resource(dave, "list", "", "configmaps", ""), false},
		{"no content", vw, resource(bob, "list", "example.com", "widgets", ""), false},
		{"discovery", vw, authorizer.AttributesRecord{User: dave, Verb: "get", Path: "/apis"}, true},
		{"non-resource write", vw, authorizer.AttributesRecord{User: dave, Verb: "post", Path: "/apis"}, false},
		{"missing export", WithExport(context.Background(), Export{Path: "root:nowhere", Name: "widgets"}), resource(dave, "list", "example.com", "widgets", ""), false},
	}
	for _, c := range cases {
		decision, _, err := authz.Authorize(c.ctx, c.attrs)
		assert.NoError(t, err, c.name)
		assert.Equal(t, c.allow, decision == authorizer.DecisionAllow, c.name)
	}
	assert.False(t, delegated, "virtual workspace requests are never delegated")

	_, _, _ = authz.Authorize(context.Background(), resource(bob, "list", "", "configmaps", ""))
	assert.True(t, delegated, "other requests are")
}
