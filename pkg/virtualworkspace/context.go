// Package virtualworkspace serves an APIExport's virtual workspace, where the provider's controllers see every
// bound object of the export in every consumer workspace: /services/apiexport/<path>/<export>/clusters/*/... for
// all of them and /clusters/<one>/... for one. Only get, list, watch, update and patch (status included) of the
// exported resources are served there, to whoever holds the verb "content" on the APIExport.
package virtualworkspace

import (
	"context"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Prefix starts every virtual workspace URL.
const Prefix = "/services/apiexport/"

// Export identifies the APIExport whose virtual workspace a request is for.
type Export struct {
	// Path is the export's workspace path, as the URL gave it.
	Path logicalcluster.Path
	// Cluster is the export's logical cluster; empty when that workspace does not exist.
	Cluster logicalcluster.Name
	// Name is the export's name.
	Name string
}

// Key is the export's key, "<cluster>|<name>", as bound CRDs carry it.
func (e Export) Key() string { return string(e.Cluster) + "|" + e.Name }

type exportKey struct{}

// WithExport returns ctx for a request to an export's virtual workspace.
func WithExport(ctx context.Context, e Export) context.Context {
	return context.WithValue(ctx, exportKey{}, e)
}

// ExportFrom returns the export of a virtual workspace request.
func ExportFrom(ctx context.Context) (Export, bool) {
	e, ok := ctx.Value(exportKey{}).(Export)
	return e, ok
}
