package authorization

import (
	"context"
	"slices"
	"strings"

	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// PrivilegedGroup may do anything, the wildcard workspace included.
const PrivilegedGroup = "system:masters"

// discoveryPaths are the non-resource paths a client needs to talk to the wildcard workspace at all.
var discoveryPaths = []string{"/api", "/apis", "/openapi", "/version"}

// WithWildcardGuard wraps delegate so that requests to the wildcard workspace ('*') are refused unless they come
// from PrivilegedGroup and are a LIST or WATCH (or the discovery GETs a client needs first). Requests to a concrete
// workspace go to delegate. The guard runs before delegate, so no other authorizer can widen it.
func WithWildcardGuard(delegate authorizer.Authorizer) authorizer.Authorizer {
	return authorizer.AuthorizerFunc(func(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
		cluster, ok := logicalcluster.From(ctx)
		if !ok || cluster != logicalcluster.Wildcard {
			return delegate.Authorize(ctx, a)
		}
		if a.GetUser() == nil || !slices.Contains(a.GetUser().GetGroups(), PrivilegedGroup) {
			return authorizer.DecisionDeny, "the wildcard workspace '*' is only for privileged identities", nil
		}
		if a.IsResourceRequest() {
			if a.GetVerb() == "list" || a.GetVerb() == "watch" {
				return authorizer.DecisionAllow, "", nil
			}
			return authorizer.DecisionDeny, "the wildcard workspace '*' allows only list and watch, not " + a.GetVerb(), nil
		}
		if a.GetVerb() == "get" {
			for _, p := range discoveryPaths {
				if a.GetPath() == p || strings.HasPrefix(a.GetPath(), p+"/") {
					return authorizer.DecisionAllow, "", nil
				}
			}
		}
		return authorizer.DecisionDeny, "the wildcard workspace '*' allows only list and watch", nil
	})
}

// WorkspaceAuditAnnotation is the audit event annotation naming the workspace of a request.
const WorkspaceAuditAnnotation = "gantry.dev/workspace"

// WithWorkspaceAudit records the workspace of every authorized request (allowed or not) in its audit event, then
// asks delegate. Authorization is the first step of every authenticated request that runs with an audit context.
func WithWorkspaceAudit(delegate authorizer.Authorizer) authorizer.Authorizer {
	return authorizer.AuthorizerFunc(func(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
		if cluster, ok := logicalcluster.From(ctx); ok {
			audit.AddAuditAnnotation(ctx, WorkspaceAuditAnnotation, string(cluster))
		} else if logicalcluster.IsUnknown(ctx) {
			audit.AddAuditAnnotation(ctx, WorkspaceAuditAnnotation, "unknown:"+logicalcluster.UnknownReference(ctx))
		}
		return delegate.Authorize(ctx, a)
	})
}
