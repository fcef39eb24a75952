// Package routing is the outermost HTTP filter of the Gantry server. It resolves /clusters/<path-or-name>/...,
// strips that prefix, and puts the logical cluster into the request context, so that everything after it
// (request info, authentication, authorization, admission, audit, storage) sees an ordinary Kubernetes path.
//
// A reference that is not a valid path, cluster name or wildcard is refused before anything else runs, so it never
// reaches a storage key; an unknown workspace gets a 404 Status.
package routing

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
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

// WithClusterRouting wraps handler with the workspace routing filter.
func WithClusterRouting(handler http.Handler, resolver Resolver, serializer runtime.NegotiatedSerializer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		fail := func(err error) {
			responsewriters.ErrorNegotiated(err, serializer, schema.GroupVersion{}, w, req)
		}
		escaped := req.URL.EscapedPath()
		ctx := req.Context()
		if strings.HasPrefix(escaped, virtualworkspace.Prefix) {
			export, clusters, err := parseVirtualWorkspace(escaped[len(virtualworkspace.Prefix):], resolver)
			if err != nil {
				fail(err)
				return
			}
			ctx = virtualworkspace.WithExport(ctx, export)
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

// parseVirtualWorkspace reads "<export path>/<export name>/clusters/..." and returns the export and the
// "/clusters/..." rest. An export path that names no workspace yields an Export without a cluster, which the
// authorizer refuses like any other export the user may not use.
func parseVirtualWorkspace(escaped string, resolver Resolver) (virtualworkspace.Export, string, error) {
	parts := strings.SplitN(escaped, "/", 3)
	if len(parts) < 3 || !strings.HasPrefix("/"+parts[2], ClustersPrefix) && "/"+parts[2] != "/clusters" {
		return virtualworkspace.Export{}, "", notFound("a virtual workspace is reached at " + virtualworkspace.Prefix + "<workspace path>/<APIExport>/clusters/<workspace or *>/...")
	}
	pathText, err := url.PathUnescape(parts[0])
	if err != nil {
		return virtualworkspace.Export{}, "", apierrors.NewBadRequest(fmt.Sprintf("invalid APIExport workspace %q: %v", parts[0], err))
	}
	path, err := logicalcluster.ParsePath(pathText)
	if err != nil {
		return virtualworkspace.Export{}, "", apierrors.NewBadRequest(fmt.Sprintf("invalid APIExport workspace: %v", err))
	}
	name, err := url.PathUnescape(parts[1])
	if err != nil || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return virtualworkspace.Export{}, "", apierrors.NewBadRequest(fmt.Sprintf("invalid APIExport name %q", parts[1]))
	}
	export := virtualworkspace.Export{Path: path, Name: name}
	if cluster, ok := resolver.Resolve(logicalcluster.Reference{Path: path}); ok {
		export.Cluster = cluster
	}
	return export, "/" + parts[2], nil
}

func notFound(message string) error {
	err := apierrors.NewNotFound(schema.GroupResource{}, "")
	err.ErrStatus.Message = message
	return err
}

// WithUnknownWorkspace answers 404 to requests for a workspace that does not exist. It wraps the API handler, inside
// authentication and authorization, so that only users allowed past them learn that the workspace is missing.
func WithUnknownWorkspace(handler http.Handler, serializer runtime.NegotiatedSerializer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if logicalcluster.IsUnknown(req.Context()) {
			err := notFound(fmt.Sprintf("workspace %q not found", logicalcluster.UnknownReference(req.Context())))
			responsewriters.ErrorNegotiated(err, serializer, schema.GroupVersion{}, w, req)
			return
		}
		handler.ServeHTTP(w, req)
	})
}
