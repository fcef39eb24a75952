package statusaggregate

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/synctarget"
	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
)

// Config is what the controller needs.
type Config struct {
	// Clients makes privileged clients: of the APIExports' virtual workspaces for the watches, of one workspace for
	// writes.
	Clients *sdk.Client
	// Workspaces resolves the paths of the supported APIExports.
	Workspaces synctarget.Workspaces
	// Targets is the server's index of SyncTargets: their supported APIExports are what syncers sync, and their
	// names are what status.clusters[] shows.
	Targets *clusterwatch.Store[*computev1alpha1.SyncTarget]
	// Exports is the server's index of APIExports; a change re-reads which resources to watch. Optional.
	Exports *clusterwatch.Store[*apisv1alpha1.APIExport]
	// CRDs tells which resources each APIExport offers.
	CRDs *crdset.Set
	// Rescan is how often the watched resources are re-read regardless of events (an export's resources can change
	// without the export object changing); zero is 30 seconds.
	Rescan time.Duration
}

// Controller writes the aggregate status of every object placed on several SyncTargets.
type Controller struct {
	config  Config
	queue   workqueue.TypedRateLimitingInterface[item]
	rescan  chan struct{}
	mu      sync.RWMutex
	watches map[source]*watched
	// ready is whether each target (by key) was Ready when last seen, to notice when that changes.
	ready map[string]bool
}

// source is one resource as one APIExport's virtual workspace serves it, in every workspace that binds it.
type source struct {
	path, export string
	gvr          schema.GroupVersionResource
}

// item is one object of one source, by its sdk.ClusterKey.
type item struct {
	source source
	key    string
}

// NewController returns a controller; Run starts it.
func NewController(config Config) *Controller {
	if config.Rescan <= 0 {
		config.Rescan = 30 * time.Second
	}
	c := &Controller{
		config:  config,
		rescan:  make(chan struct{}, 1),
		watches: map[source]*watched{},
		ready:   map[string]bool{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[item](),
			workqueue.TypedRateLimitingQueueConfig[item]{Name: "statusaggregate"}),
	}
	config.Targets.OnChange(func(cluster logicalcluster.Name, name string) {
		c.requestRescan()
		c.noticeReadiness(cluster, name)
	})
	if config.Exports != nil {
		config.Exports.OnChange(func(logicalcluster.Name, string) { c.requestRescan() })
	}
	return c
}

// Run keeps the watches in line with the supported APIExports and aggregates with the given number of workers
// until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.config.Targets.HasSynced) {
		return
	}
	go workloop.Run(ctx, c.queue, workers, "statusaggregate", c.reconcile)
	tick := time.NewTicker(c.config.Rescan)
	defer tick.Stop()
	for {
		c.syncWatches(ctx)
		select {
		case <-ctx.Done():
			c.stopAll()
			return
		case <-c.rescan:
		case <-tick.C:
		}
	}
}

// requestRescan asks Run to re-read which resources to watch, without blocking.
func (c *Controller) requestRescan() {
	select {
	case c.rescan <- struct{}{}:
	default:
	}
}

// handler queues the objects that carry status views; the rest are no concern of this controller.
type handler struct {
	source source
	queue  workqueue.TypedRateLimitingInterface[item]
}

// OnAdd implements sdk.Handler.
func (h handler) OnAdd(key string, obj interface{}) { h.changed(key, obj) }

// OnUpdate implements sdk.Handler.
func (h handler) OnUpdate(key string, _, obj interface{}) { h.changed(key, obj) }

// OnDelete implements sdk.Handler: a deleted object has no status to write.
func (h handler) OnDelete(string, interface{}) {}

func (h handler) changed(key string, obj interface{}) {
	if u, ok := obj.(*unstructured.Unstructured); ok && hasViews(u.GetAnnotations()) {
		h.queue.Add(item{source: h.source, key: key})
	}
}
