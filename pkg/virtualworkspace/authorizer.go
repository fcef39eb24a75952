package virtualworkspace

import (
	"context"
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// ContentVerb is the verb a provider needs on its APIExport to use the export's virtual workspace.
const ContentVerb = "content"

// AccessDenied answers every refused virtual workspace request, whether or not the export exists.
const AccessDenied = "access to the virtual workspace is denied: it needs the verb \"content\" on the APIExport"

// allowedVerbs are what a provider may do to bound objects.
var allowedVerbs = []string{"get", "list", "watch", "update", "patch"}

// Resources tells which resources an export offers.
type Resources interface {
	// Exports reports whether export offers group/resource.
	Exports(export Export, resource schema.GroupResource) bool
}

// WithAuthorizer wraps delegate: requests to a virtual workspace are decided here, by the verb "content" on the
// APIExport in its own workspace (asked of workspaceAuthorizer) and the limits of the virtual workspace; every
// other request goes to delegate.
func WithAuthorizer(delegate, workspaceAuthorizer authorizer.Authorizer, resources Resources) authorizer.Authorizer {
	return authorizer.AuthorizerFunc(func(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
		e, ok := ExportFrom(ctx)
		if !ok {
			return delegate.Authorize(ctx, a)
		}
		if e.Cluster == "" || a.GetUser() == nil {
			return authorizer.DecisionDeny, AccessDenied, nil
		}
		decision, _, err := workspaceAuthorizer.Authorize(logicalcluster.WithCluster(ctx, e.Cluster), authorizer.AttributesRecord{
			User: a.GetUser(), Verb: ContentVerb, ResourceRequest: true,
			APIGroup: apisv1alpha1.GroupName, APIVersion: apisv1alpha1.SchemeGroupVersion.Version, Resource: "apiexports", Name: e.Name,
		})
		if err != nil || decision != authorizer.DecisionAllow {
			return authorizer.DecisionDeny, AccessDenied, err
		}
		if !a.IsResourceRequest() {
			if a.GetVerb() == "get" {
				return authorizer.DecisionAllow, "", nil
			}
			return authorizer.DecisionDeny, "the virtual workspace serves only discovery besides the exported resources", nil
		}
		if !slices.Contains(allowedVerbs, a.GetVerb()) {
			return authorizer.DecisionDeny, "the virtual workspace allows only get, list, watch, update and patch", nil
		}
		if a.GetSubresource() != "" && a.GetSubresource() != "status" {
			return authorizer.DecisionDeny, "the virtual workspace serves only the status subresource", nil
		}
		if !resources.Exports(e, schema.GroupResource{Group: a.GetAPIGroup(), Resource: a.GetResource()}) {
			return authorizer.DecisionDeny, "the APIExport does not offer this resource", nil
		}
		return authorizer.DecisionAllow, "", nil
	})
}
