package placement

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
)

// Workspaces resolves workspace paths both ways.
type Workspaces interface {
	Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool)
	Path(cluster logicalcluster.Name) (logicalcluster.Path, bool)
}

// Config is what the controller needs.
type Config struct {
	// Loopback is a privileged config without a /clusters prefix, for the wildcard watch of Placements.
	Loopback *rest.Config
	// Clients makes the privileged clients of one workspace, for writes.
	Clients *sdk.Client
	// Workspaces resolves location paths.
	Workspaces Workspaces
	// Targets is the server's index of SyncTargets, not fed yet.
	Targets *clusterwatch.Store[*computev1alpha1.SyncTarget]
	// Namespaces is the server's index of namespaces, not fed yet.
	Namespaces *clusterwatch.Store[*corev1.Namespace]
	// CRDs tells which resources each workspace binds: their objects are placed along with configmaps and secrets.
	CRDs *crdset.Set
	// Authorizer decides whether a Placement's owner may use a target (the verb "use" in the target's workspace).
	Authorizer authorizer.Authorizer
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Controller places the objects of every workspace.
type Controller struct {
	config     Config
	client     rest.Interface
	placements *clusterwatch.Store[*computev1alpha1.Placement]
	queue      workqueue.TypedRateLimitingInterface[item]
	// broadcaster writes the Events of every workspace's Placements (workspaceEventSink routes each); events
	// records them.
	broadcaster record.EventBroadcaster
	events      record.EventRecorder
}

// item is a unit of work: a Placement to schedule, a namespace (and its objects) to label, or the Placement
// counts of the SyncTargets of a location workspace (cluster) to write.
type item struct {
	namespace bool
	counts    bool
	// sweep asks for the namespace's objects to be labeled even when its own labels are already right; it is the
	// sweep-th of resweepDelays.
	sweep   int
	cluster logicalcluster.Name
	name    string
}

// resweepDelays are when a namespace whose labels just changed has its objects labeled again, each after the one
// before: an object created while the namespace was being relabeled may have been admitted with the namespace's
// old labels, and stored after the first resweep listed the namespace on a slow server.
var resweepDelays = []time.Duration{2 * time.Second, 30 * time.Second}

// NewController returns a controller; Run starts it.
func NewController(config Config) (*Controller, error) {
	client, err := clusterwatch.LoopbackClient(config.Loopback, computev1alpha1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return nil, err
	}
	if config.Now == nil {
		config.Now = time.Now
	}
	c := &Controller{
		config:     config,
		client:     client,
		placements: clusterwatch.NewStore[*computev1alpha1.Placement](),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[item](),
			workqueue.TypedRateLimitingQueueConfig[item]{Name: "placements"}),
		broadcaster: record.NewBroadcaster(),
	}
	c.events = c.broadcaster.NewRecorder(registry.Scheme, eventSource)
	c.placements.OnChange(func(cluster logicalcluster.Name, name string) {
		c.queue.Add(item{cluster: cluster, name: name})
		c.enqueueNamespaces(cluster) // a Placement's selector or existence decides its namespaces
		c.enqueueCounts(cluster, name)
	})
	config.Namespaces.OnChange(func(cluster logicalcluster.Name, name string) {
		if len(c.placements.List(cluster)) > 0 || hasStateLabels(config.Namespaces, cluster, name) {
			c.queue.Add(item{namespace: true, cluster: cluster, name: name})
		}
	})
	config.Targets.OnChange(func(location logicalcluster.Name, _ string) { c.enqueueLocation(location) })
	return c, nil
}

// Run feeds the Placements and processes items with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	c.broadcaster.StartRecordingToSink(workspaceEventSink{clients: c.config.Clients})
	defer c.broadcaster.Shutdown()
	clusterwatch.Feed(ctx, c.client, "/apis/compute.gantry.dev/v1alpha1/placements",
		func() runtime.Object { return &computev1alpha1.PlacementList{} }, &computev1alpha1.Placement{}, c.placements, "placement-index")
	if !cache.WaitForCacheSync(ctx.Done(), c.placements.HasSynced, c.config.Targets.HasSynced, c.config.Namespaces.HasSynced,
		c.config.CRDs.Local.HasSynced) {
		return
	}
	workloop.Run(ctx, c.queue, workers, "placements", func(ctx context.Context, it item) error {
		if it.namespace {
			return c.reconcileNamespace(ctx, it)
		}
		if it.counts {
			return c.reconcileCounts(ctx, it.cluster)
		}
		return c.reconcilePlacement(ctx, it.cluster, it.name)
	})
	<-ctx.Done()
}

// enqueueNamespaces queues every namespace of a workspace.
func (c *Controller) enqueueNamespaces(cluster logicalcluster.Name) {
	for _, ns := range c.config.Namespaces.List(cluster) {
		c.queue.Add(item{namespace: true, cluster: cluster, name: ns.Name})
	}
}

// enqueueLocation queues every Placement whose location is the given workspace: one of its targets changed.
func (c *Controller) enqueueLocation(location logicalcluster.Name) {
	path, ok := c.config.Workspaces.Path(location)
	if !ok {
		return
	}
	for _, cluster := range c.placements.Clusters() {
		for _, p := range c.placements.List(cluster) {
			if p.Spec.LocationWorkspace == string(path) || c.locationOf(p) == location {
				c.queue.Add(item{cluster: cluster, name: p.Name})
			}
		}
	}
}

// locationOf resolves a Placement's location workspace; empty when it does not exist.
func (c *Controller) locationOf(p *computev1alpha1.Placement) logicalcluster.Name {
	ref, err := logicalcluster.ParseReference(p.Spec.LocationWorkspace)
	if err != nil || ref.Name == logicalcluster.Wildcard {
		return ""
	}
	cluster, _ := c.config.Workspaces.Resolve(ref)
	return cluster
}
