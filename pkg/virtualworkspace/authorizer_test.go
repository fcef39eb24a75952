package virtualworkspace

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/gantry-dev/gantry/pkg/crdset"
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

// widgetsExport is a crdset where the export "widgets" of cluster "provider" offers example.com's widgets.
func widgetsExport() *crdset.Set {
	crds := crdset.NewSet()
	crds.SetExport("provider", "widgets", []*apiextensionsv1.CustomResourceDefinition{{
		Spec:   apiextensionsv1.CustomResourceDefinitionSpec{Group: "example.com"},
		Status: apiextensionsv1.CustomResourceDefinitionStatus{AcceptedNames: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets"}},
	}})
	return crds
}

func TestAuthorizer(t *testing.T) {
	delegated := false
	delegate := authorizer.AuthorizerFunc(func(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
		delegated = true
		return authorizer.DecisionAllow, "", nil
	})
	registry := NewRegistry(nil, nil, APIExport(widgetsExport()))
	authz := registry.Authorizer(delegate, authorizer.AuthorizerFunc(contentHolders{"dave": true}.Authorize))
	definition := registry.definitions["apiexport"]
	export := Target{Definition: definition, Path: "root:provider", Cluster: "provider", Name: "widgets"}
	vw := WithTarget(logicalcluster.WithCluster(context.Background(), logicalcluster.Wildcard), export)
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
		{"missing export", WithTarget(context.Background(), Target{Definition: definition, Path: "root:nowhere", Name: "widgets"}), resource(dave, "list", "example.com", "widgets", ""), false},
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
