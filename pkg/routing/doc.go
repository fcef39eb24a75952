// Package routing is the outermost HTTP filter of the Gantry server. It resolves /clusters/<path-or-name>/...,
// strips that prefix, and puts the logical cluster into the request context, so that everything after it
// (request info, authentication, authorization, admission, audit, storage) sees an ordinary Kubernetes path.
//
// A reference that is not a valid path, cluster name or wildcard is refused before anything else runs, so it never
// reaches a storage key; an unknown workspace gets a 404 Status. It does not keep the index of workspaces
// (pkg/workspace) nor parse virtual workspace paths (pkg/virtualworkspace); it is handed both.
package routing
