package workspacemetrics

import (
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Requests counts the requests addressed to each workspace: one integer per workspace, kept in memory and never
// exported as a label of the server's /metrics.
type Requests struct {
	counts sync.Map // logicalcluster.Name -> *atomic.Uint64
}

// Count records one request to cluster.
func (r *Requests) Count(cluster logicalcluster.Name) {
	if c, ok := r.counts.Load(cluster); ok {
		c.(*atomic.Uint64).Add(1)
		return
	}
	c, _ := r.counts.LoadOrStore(cluster, new(atomic.Uint64))
	c.(*atomic.Uint64).Add(1)
}

// Of returns how many requests cluster received since the server started.
func (r *Requests) Of(cluster logicalcluster.Name) uint64 {
	if c, ok := r.counts.Load(cluster); ok {
		return c.(*atomic.Uint64).Load()
	}
	return 0
}

// Forget drops the count of cluster, a workspace whose objects were erased.
func (r *Requests) Forget(cluster logicalcluster.Name) { r.counts.Delete(cluster) }

// WithCounting wraps handler, the chain below the workspace routing, so that every request to an existing
// workspace is counted, those refused by authentication or authorization included: they are load too.
func (r *Requests) WithCounting(handler http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if cluster, ok := logicalcluster.From(req.Context()); ok && cluster != logicalcluster.Wildcard {
			r.Count(cluster)
		}
		handler.ServeHTTP(w, req)
	})
}
