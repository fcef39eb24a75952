package syncer

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/sdk"
)

// resource is one resource the syncer runs: its informer upstream (through the virtual workspace, across every
// workspace) and downstream (our copies only).
type resource struct {
	stopUpstream, stopAll context.CancelFunc
	// retired: the virtual workspace no longer serves it; only the downstream informer runs, so that the copies
	// still count as their namespaces' content.
	retired    atomic.Bool
	gvr        schema.GroupVersionResource
	status     bool // the virtual workspace serves <resource>/status
	upstream   *sdk.WildcardInformer
	downstream cache.SharedIndexInformer
}

func (r *resource) synced() bool {
	return (r.retired.Load() || r.upstream.HasSynced()) && r.downstream.HasSynced()
}

// served is a resource the virtual workspace serves, as discovery tells it.
type served struct {
	gvr    schema.GroupVersionResource
	status bool
}

// resources returns the running resources.
func (s *Syncer) resources() []*resource {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*resource, 0, len(s.res))
	for _, r := range s.res {
		out = append(out, r)
	}
	return out
}

// resource returns a running resource, or nil.
func (s *Syncer) resource(gvr schema.GroupVersionResource) *resource {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.res[gvr]
}

// discoverServed reads the virtual workspace's discovery: the namespaced, listable resources in each group's
// preferred version, and whether each has a status subresource. Cluster-scoped resources are not synced: their
// names would collide downstream between workspaces.
func (s *Syncer) discoverServed() (resources []served, complete bool, err error) {
	dc, err := discovery.NewDiscoveryClientForConfigAndClient(s.clusterConfig(sdk.Wildcard), s.vwHTTP)
	if err != nil {
		return nil, false, err
	}
	groups, lists, err := dc.ServerGroupsAndResources()
	if err != nil && len(lists) == 0 {
		return nil, false, err
	}
	return servedResources(groups, lists), err == nil, nil
}

// servedResources picks, from discovery, the resources the syncer runs: namespaced ones that can be listed, watched
// and updated, in each group's preferred version, each with whether it has a status subresource; sorted.
func servedResources(groups []*metav1.APIGroup, lists []*metav1.APIResourceList) []served {
	preferred := map[string]string{}
	for _, g := range groups {
		preferred[g.Name] = g.PreferredVersion.GroupVersion
	}
	var out []served
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil || preferred[gv.Group] != list.GroupVersion {
			continue
		}
		subresources := map[string]bool{}
		for _, r := range list.APIResources {
			subresources[r.Name] = true
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") || !r.Namespaced || !hasVerbs(r.Verbs, "list", "watch", "update") {
				continue
			}
			out = append(out, served{gvr: gv.WithResource(r.Name), status: subresources[r.Name+"/status"]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].gvr.String() < out[j].gvr.String() })
	return out
}

func hasVerbs(verbs metav1.Verbs, want ...string) bool {
	for _, w := range want {
		found := false
		for _, v := range verbs {
			found = found || v == w
		}
		if !found {
			return false
		}
	}
	return true
}

// refreshResources re-reads what the virtual workspace serves, applies the CRDs it offers downstream, and starts
// syncing each new resource once the downstream cluster serves it too. A resource
// the downstream cluster does not serve stays Pending and is tried again on the next refresh. Resources no longer
// served keep their informers until restart: their objects leave the view, which removes their copies.
func (s *Syncer) refreshResources(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	all, complete, err := s.discoverServed()
	if err != nil {
		return err
	}
	if complete {
		// A group whose discovery failed is not taken for gone.
		s.retireResources(ctx, all)
	}
	// Every served resource's CRD is applied again, so that a schema changed upstream reaches the running ones too;
	// an unchanged apply writes nothing.
	crds := s.installCRDs(ctx, all)
	var todo []served
	for _, r := range all {
		if cur := s.resource(r.gvr); cur == nil || cur.retired.Load() {
			todo = append(todo, r)
		}
	}
	pending := map[schema.GroupVersionResource]computev1alpha1.SyncedResource{}
	for _, r := range todo {
		row := computev1alpha1.SyncedResource{Group: r.gvr.Group, Resource: r.gvr.Resource, Versions: []string{r.gvr.Version}, State: computev1alpha1.SyncedResourcePending}
		state, installed := crds[r.gvr.GroupResource()]
		if installed && state != computev1alpha1.SyncedResourceAccepted {
			row.State = state
			pending[r.gvr] = row
			continue
		}
		// An Established CRD is served even before the downstream discovery shows it.
		if !installed && !s.downstreamServes(r.gvr) {
			logger.Info("the downstream cluster does not serve this resource (no CRD?); it waits", "resource", r.gvr.String())
			pending[r.gvr] = row
			continue
		}
		s.startResource(ctx, r)
		logger.Info("syncing resource", "resource", r.gvr.String(), "status", r.status)
	}
	s.mu.Lock()
	s.pending = pending
	s.mu.Unlock()
	return nil
}

// downstreamServes asks the downstream cluster's discovery whether it serves gvr.
func (s *Syncer) downstreamServes(gvr schema.GroupVersionResource) bool {
	list, err := s.down.Discovery().ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	if err != nil {
		return false
	}
	for _, r := range list.APIResources {
		if r.Name == gvr.Resource {
			return true
		}
	}
	return false
}

// startResource starts the informers of one resource: upstream through the virtual workspace (a WildcardInformer,
// since a plain informer would merge same-named objects of different workspaces), downstream of our copies.
func (s *Syncer) startResource(ctx context.Context, sv served) {
	ctx, stopAll := context.WithCancel(ctx)
	upCtx, stopUpstream := context.WithCancel(ctx)
	r := &resource{gvr: sv.gvr, status: sv.status, stopAll: stopAll, stopUpstream: stopUpstream}
	r.upstream = sdk.NewDynamicWildcardInformer(s.vwAll, sv.gvr)
	r.upstream.AddHandler(upstreamHandler{s: s, gvr: sv.gvr})
	r.downstream = dynamicinformer.NewFilteredDynamicInformer(s.downDynamic, sv.gvr, "", s.cfg.Resync,
		cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc},
		func(o *metav1.ListOptions) { o.LabelSelector = SyncTargetLabel + "=" + s.key }).Informer()
	_, _ = r.downstream.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj interface{}) { s.downstreamChanged(sv.gvr, obj) },
		UpdateFunc: func(_, obj interface{}) { s.downstreamChanged(sv.gvr, obj) },
		DeleteFunc: func(obj interface{}) { s.downstreamDeleted(sv.gvr, unwrap(obj)) },
	})
	s.mu.Lock()
	if old := s.res[sv.gvr]; old != nil {
		old.stopAll() // a retired resource served again
	}
	s.res[sv.gvr] = r
	s.mu.Unlock()
	go r.upstream.Run(upCtx)
	go r.downstream.RunWithContext(ctx)
}

// retireResources stops the upstream informers of running resources the virtual workspace no longer serves (an export
// removed from the SyncTarget's spec), whose lists would only fail from now on. Their downstream copies are left in
// place: their upstream objects may still carry this syncer's finalizer, which it can no longer reach, and deleting
// workloads because of a spec edit is for the placement controller (state Delete) to decide, not the syncer.
func (s *Syncer) retireResources(ctx context.Context, served []served) {
	keep := map[schema.GroupVersionResource]bool{}
	for _, r := range served {
		keep[r.gvr] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for gvr, r := range s.res {
		if keep[gvr] || r.retired.Load() {
			continue
		}
		r.retired.Store(true)
		r.stopUpstream()
		klog.FromContext(ctx).Info("the virtual workspace no longer serves this resource; stopped syncing it, leaving its downstream copies",
			"resource", gvr.String(), "copies", len(r.downstream.GetStore().ListKeys()))
	}
}

// upstreamHandler enqueues every change of an upstream object.
type upstreamHandler struct {
	s   *Syncer
	gvr schema.GroupVersionResource
}

// OnAdd enqueues a new (or newly placed) object.
func (h upstreamHandler) OnAdd(k string, _ interface{}) { h.s.enqueueUpstream(h.gvr, k) }

// OnUpdate enqueues a changed object.
func (h upstreamHandler) OnUpdate(k string, _, _ interface{}) { h.s.enqueueUpstream(h.gvr, k) }

// OnDelete enqueues an object deleted or no longer placed, so that its copy goes.
func (h upstreamHandler) OnDelete(k string, _ interface{}) { h.s.enqueueUpstream(h.gvr, k) }

// downstreamChanged enqueues, coalesced (enqueueCoalesced), the upstream object a downstream copy was made from:
// reapplying it reverts drift, its status is reported up, and finding no upstream object removes an orphan.
func (s *Syncer) downstreamChanged(gvr schema.GroupVersionResource, obj interface{}) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		s.enqueueCoalesced(gvr, u)
	}
}

// coalesceDelay is how long a change of a downstream copy waits before its upstream object is reconciled. A new
// Deployment's status changes several times within moments (its ReplicaSet created, then updated, its pod
// pending, then scheduled), and every reconcile that finds the status changed writes it to Gantry: the changes
// that come within the delay are reconciled, and reported up, once.
const coalesceDelay = time.Second

// enqueueCoalesced adds the upstream object of a downstream copy after s.coalesce; the queue keeps one entry per
// key, so the changes of that copy until then make one reconcile.
func (s *Syncer) enqueueCoalesced(gvr schema.GroupVersionResource, u *unstructured.Unstructured) {
	if k, ok := upstreamKey(gvr, u); ok {
		s.queue.AddAfter(k, s.coalesce)
	}
}

// upstreamKey is the key of the upstream object a downstream copy was made from, by its locator annotation.
func upstreamKey(gvr schema.GroupVersionResource, u *unstructured.Unstructured) (key, bool) {
	locator, err := ParseObjectLocator(u.GetAnnotations()[UpstreamAnnotation])
	if err != nil {
		// Not ours to map back; a copy without a locator is left alone rather than guessed at.
		klog.Background().V(2).Info("downstream object without a valid upstream locator", "resource", gvr.String(),
			"namespace", u.GetNamespace(), "name", u.GetName(), "err", err)
		return key{}, false
	}
	return key{GVR: gvr, Cluster: locator.Cluster, Namespace: locator.Namespace, Name: locator.Name}, true
}

// downstreamDeleted enqueues at once the upstream object (to recreate a copy deleted by hand, or to release the
// object once its copy is gone) and the namespace (to remove it once its last copy is gone).
func (s *Syncer) downstreamDeleted(gvr schema.GroupVersionResource, obj interface{}) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return
	}
	if k, ok := upstreamKey(gvr, u); ok {
		s.queue.Add(k)
	}
	s.applied.forget(u.GetUID())
	s.applied.seen(copyKey(gvr, u.GetNamespace(), u.GetName()))
	s.queue.Add(key{Namespace: u.GetNamespace(), namespaceOnly: true})
}

// objectsIn counts our downstream copies in a namespace, over every running resource.
func (s *Syncer) objectsIn(namespace string) int {
	n := 0
	for _, r := range s.resources() {
		objs, _ := r.downstream.GetIndexer().ByIndex(cache.NamespaceIndex, namespace)
		n += len(objs)
	}
	return n
}

// syncedResources is the status.syncedResources the heartbeat reports: running ones Accepted, others as they
// stand.
func (s *Syncer) syncedResources() []computev1alpha1.SyncedResource {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]computev1alpha1.SyncedResource, 0, len(s.res)+len(s.pending))
	for gvr, r := range s.res {
		if r.retired.Load() {
			continue
		}
		out = append(out, computev1alpha1.SyncedResource{Group: gvr.Group, Resource: gvr.Resource,
			Versions: []string{gvr.Version}, State: computev1alpha1.SyncedResourceAccepted})
	}
	for _, row := range s.pending {
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool {
		return fmt.Sprint(out[i].Group, "/", out[i].Resource) < fmt.Sprint(out[j].Group, "/", out[j].Resource)
	})
	return out
}
