package garbagecollector

import (
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// A deleted object is remembered for goneFor, so that a dependent created just after its owner was deleted is
// still collected; past maxGone remembered objects (heavy churn) only the last few seconds' are kept.
const (
	goneFor  = 2 * time.Minute
	maxGone  = 100_000
	goneMin  = 10 * time.Second
	pruneGap = 10 * time.Second
)

// uidKey identifies an object across workspaces. Owner references are matched within the dependent's workspace
// only: a UID copied from another workspace names nothing.
type uidKey struct {
	Cluster logicalcluster.Name
	UID     types.UID
}

func keyOf(o *object) uidKey { return uidKey{o.Cluster, o.UID} }

// goneOwner is what is remembered of a deleted object.
type goneOwner struct {
	at time.Time
	// namespace is the deleted object's namespace; known is false for an owner never seen (found missing at start).
	namespace string
	known     bool
}

// graph holds the ownership edges of every workspace: the objects that have owners, the owners being deleted
// with an orphan or foreground finalizer, recently deleted objects, and the key of every stored object (so that
// a dependent naming an owner that does not exist is noticed at once).
type graph struct {
	mu         sync.Mutex
	exists     map[uidKey]struct{}
	nodes      map[uidKey]*object
	dependents map[uidKey]map[uidKey]*object
	waiting    map[uidKey]*object
	gone       map[uidKey]goneOwner
	pruned     time.Time
}

func newGraph() *graph {
	return &graph{exists: map[uidKey]struct{}{}, nodes: map[uidKey]*object{}, dependents: map[uidKey]map[uidKey]*object{},
		waiting: map[uidKey]*object{}, gone: map[uidKey]goneOwner{}}
}

// waitsForCollector reports whether an object being deleted waits for the collector.
func waitsForCollector(o *object) bool {
	return o.DeletionTimestamp != nil &&
		(slices.Contains(o.Finalizers, metav1.FinalizerOrphanDependents) || slices.Contains(o.Finalizers, metav1.FinalizerDeleteDependents))
}

// observe records a created or updated object and returns the owners to look at again. With checkOwners, an
// owner that does not exist is marked gone: the watch delivers changes in order, so an owner that exists was seen
// before any dependent naming it. (While the first read is under way, in key order, that does not hold.)
func (g *graph) observe(o *object, checkOwners bool, now time.Time) []uidKey {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := keyOf(o)
	g.exists[k] = struct{}{}
	var touched []uidKey
	if old := g.nodes[k]; old != nil {
		touched = g.unlinkLocked(old)
	}
	if len(o.Owners) > 0 {
		g.nodes[k] = o
		for _, ref := range o.Owners {
			owner := uidKey{o.Cluster, ref.UID}
			if g.dependents[owner] == nil {
				g.dependents[owner] = map[uidKey]*object{}
			}
			g.dependents[owner][k] = o
			touched = append(touched, owner)
		}
	}
	var out []uidKey
	for _, owner := range touched {
		if _, ok := g.exists[owner]; !ok && checkOwners {
			if _, ok := g.gone[owner]; !ok {
				g.gone[owner] = goneOwner{at: now}
			}
		}
		if _, ok := g.waiting[owner]; ok {
			out = append(out, owner)
		} else if _, ok := g.gone[owner]; ok {
			out = append(out, owner)
		}
	}
	if waitsForCollector(o) {
		g.waiting[k] = o
		out = append(out, k)
	} else {
		delete(g.waiting, k)
	}
	return out
}

// forget records a deleted object and returns the owners to look at again, itself included when it had
// dependents.
func (g *graph) forget(o *object, now time.Time) []uidKey {
	g.mu.Lock()
	defer g.mu.Unlock()
	k := keyOf(o)
	var out []uidKey
	if old := g.nodes[k]; old != nil {
		for _, owner := range g.unlinkLocked(old) {
			if _, ok := g.waiting[owner]; ok {
				out = append(out, owner)
			}
		}
		delete(g.nodes, k)
	}
	delete(g.waiting, k)
	delete(g.exists, k)
	g.gone[k] = goneOwner{at: now, namespace: o.Namespace, known: true}
	if len(g.dependents[k]) > 0 {
		out = append(out, k)
	}
	if now.Sub(g.pruned) > pruneGap || len(g.gone) > maxGone {
		keep := goneFor
		if len(g.gone) > maxGone {
			keep = goneMin
		}
		for key, gone := range g.gone {
			if now.Sub(gone.at) > keep {
				delete(g.gone, key)
			}
		}
		g.pruned = now
	}
	return out
}

// unlinkLocked removes the edges from a dependent to its owners and returns those owners.
func (g *graph) unlinkLocked(o *object) []uidKey {
	k := keyOf(o)
	owners := make([]uidKey, 0, len(o.Owners))
	for _, ref := range o.Owners {
		owner := uidKey{o.Cluster, ref.UID}
		delete(g.dependents[owner], k)
		if len(g.dependents[owner]) == 0 {
			delete(g.dependents, owner)
		}
		owners = append(owners, owner)
	}
	return owners
}

// missingOwners marks as gone every owner that does not exist, once every stored object has been observed, and
// returns them.
func (g *graph) missingOwners(now time.Time) []uidKey {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []uidKey
	for owner := range g.dependents {
		if _, ok := g.exists[owner]; !ok {
			g.gone[owner] = goneOwner{at: now}
			out = append(out, owner)
		}
	}
	return out
}

// dependentsOf returns the dependents of an owner that it may own: those in its namespace, or all of them when it
// is cluster-scoped or unknown.
func (g *graph) dependentsOf(owner uidKey, ownerNamespace string) []*object {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*object, 0, len(g.dependents[owner]))
	for _, d := range g.dependents[owner] {
		if ownerNamespace == "" || d.Namespace == ownerNamespace {
			out = append(out, d)
		}
	}
	return out
}

// waitingOwner returns an owner being deleted that waits for the collector.
func (g *graph) waitingOwner(k uidKey) (*object, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	o, ok := g.waiting[k]
	return o, ok
}

// goneOwner returns what is remembered of a deleted owner.
func (g *graph) goneOwner(k uidKey) (goneOwner, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gone, ok := g.gone[k]
	return gone, ok
}
