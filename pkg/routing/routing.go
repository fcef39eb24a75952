package routing

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
)

// ClustersPrefix is the URL prefix under which every workspace is served.
const ClustersPrefix = "/clusters/"

// Resolver maps a validated workspace reference (path or logical cluster name) to the logical cluster it names.
type Resolver interface {
	// Resolve returns the logical cluster and true, or false when no such workspace exists.
	Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool)
}

// apiPrefixes are the paths that only make sense inside a workspace.
var apiPrefixes = []string{"/api", "/apis", "/openapi"}

// VirtualWorkspaces parses the paths of virtual workspaces (virtualworkspace.Registry).
type VirtualWorkspaces interface {
	// Parse reads an escaped path after virtualworkspace.Prefix and returns its target and the "/clusters/..." rest.
	Parse(escaped string, resolver virtualworkspace.Resolver) (virtualworkspace.Target, string, error)
}

// WithClusterRouting wraps handler, the generic handler chain, with the workspace routing filter. A path it
// refuses is not answered here but marked in the request context, so that the answer passes the chain.
func WithClusterRouting(handler http.Handler, resolver Resolver, virtual VirtualWorkspaces, serializer runtime.NegotiatedSerializer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// A refused request still passes the whole handler chain (panic recovery, authentication, audit, metrics);
		// WithUnknownWorkspace answers it, and WithRefusalAuthorizer lets it reach there unchanged.
		fail := func(err error) {
			handler.ServeHTTP(w, req.WithContext(withRefusal(req.Context(), err)))
		}
		escaped := req.URL.EscapedPath()
		ctx := req.Context()
		if strings.HasPrefix(escaped, virtualworkspace.Prefix) {
			target, clusters, err := virtual.Parse(escaped[len(virtualworkspace.Prefix):], resolver)
			if err != nil {
				fail(err)
				return
			}
			// The credential is one of the target's workspace, where its verb is checked.
			ctx = logicalcluster.WithCredentialCluster(virtualworkspace.WithTarget(ctx, target), target.Cluster)
			escaped = clusters
		}
		if !strings.HasPrefix(escaped, ClustersPrefix) {
			if escaped == "/clusters" {
				fail(apierrors.NewBadRequest("a workspace is required: /clusters/<path>/..."))
				return
			}
			for _, p := range apiPrefixes {
				if escaped == p || strings.HasPrefix(escaped, p+"/") {
					fail(notFound(fmt.Sprintf("the Kubernetes API is served per workspace: use /clusters/<workspace path>%s", escaped)))
					return
				}
			}
			handler.ServeHTTP(w, req)
			return
		}

		escapedRef, rest, _ := strings.Cut(escaped[len(ClustersPrefix):], "/")
		// Decoding first is safe: the reference alphabet has no '/', '.' or '%', so an encoded trick such as %2F
		// or %2E decodes to a character that validation refuses. Clients do encode '*' as %2A.
		refText, err := url.PathUnescape(escapedRef)
		if err != nil {
			fail(apierrors.NewBadRequest(fmt.Sprintf("invalid workspace reference %q: %v", escapedRef, err)))
			return
		}
		ref, err := logicalcluster.ParseReference(refText)
		if err != nil {
			fail(apierrors.NewBadRequest(fmt.Sprintf("invalid workspace reference: %v", err)))
			return
		}
		if ref.Name == logicalcluster.Wildcard {
			ctx = logicalcluster.WithCluster(ctx, logicalcluster.Wildcard)
		} else if cluster, ok := resolver.Resolve(ref); ok {
			ctx = logicalcluster.WithCluster(ctx, cluster)
		} else {
			// Authentication and authorization still run: a user who may not know whether the workspace exists
			// gets the same 403 as for one that exists. WithUnknownWorkspace answers 404 to the others.
			ctx = logicalcluster.WithUnknown(ctx, refText)
		}

		newEscaped := "/" + rest
		newPath, err := url.PathUnescape(newEscaped)
		if err != nil {
			fail(apierrors.NewBadRequest(fmt.Sprintf("invalid request path: %v", err)))
			return
		}
		req = req.WithContext(ctx)
		u := *req.URL
		u.Path = newPath
		u.RawPath = ""
		if newEscaped != u.EscapedPath() {
			u.RawPath = newEscaped
		}
		req.URL = &u
		req.RequestURI = u.RequestURI()
		handler.ServeHTTP(w, req)
	})
}

func notFound(message string) error {
	err := apierrors.NewNotFound(schema.GroupResource{}, "")
	err.ErrStatus.Message = message
	return err
}

// WithUnknownWorkspace answers the requests the routing filter refused (a malformed workspace path: 400 or 404),
// and 404 to requests for a workspace that does not exist. It wraps the API handler, inside authentication and
// authorization, so that only users allowed past them learn that a workspace is missing.
func WithUnknownWorkspace(handler http.Handler, serializer runtime.NegotiatedSerializer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if err := refusalFrom(req.Context()); err != nil {
			responsewriters.ErrorNegotiated(err, serializer, schema.GroupVersion{}, w, req)
			return
		}
		if logicalcluster.IsUnknown(req.Context()) {
			err := notFound(fmt.Sprintf("workspace %q not found", logicalcluster.UnknownReference(req.Context())))
			responsewriters.ErrorNegotiated(err, serializer, schema.GroupVersion{}, w, req)
			return
		}
		handler.ServeHTTP(w, req)
	})
}

type refusalKey struct{}

func withRefusal(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, refusalKey{}, err)
}

func refusalFrom(ctx context.Context) error {
	err, _ := ctx.Value(refusalKey{}).(error)
	return err
}

// WithRefusalAuthorizer wraps delegate so that a request the routing filter refused is let through to
// WithUnknownWorkspace, which answers it with the refusal: the path names no workspace to authorize in, and the
// answer reveals nothing but the path's own error. Impersonation is still decided by delegate.
func WithRefusalAuthorizer(delegate authorizer.Authorizer) authorizer.Authorizer {
	return authorizer.AuthorizerFunc(func(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
		if refusalFrom(ctx) != nil && a.GetVerb() != "impersonate" {
			return authorizer.DecisionAllow, "the request is refused by the workspace routing", nil
		}
		return delegate.Authorize(ctx, a)
	})
}
