package workspace

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
	tenancyclient "github.com/gantry-dev/gantry/sdk/generated/clientset/versioned/typed/tenancy/v1alpha1"
)

// Eraser removes everything stored in a logical cluster and, in the same etcd transaction, the object that held it
// (a deleted Workspace) if that object was not written since it was read; it says whether it deleted the object.
type Eraser interface {
	EraseAndDelete(ctx context.Context, cluster logicalcluster.Name, holder clusterstore.StoredObject) (bool, error)
}

// Controller initializes new workspaces (default namespace, phase Ready, URL) and tears down deleted ones (children
// first, then every stored object, then the finalizer). One controller with a fixed pool of workers serves every
// workspace; creating a workspace adds no goroutine, cache or informer.
type Controller struct {
	index       *Index
	client      rest.Interface
	clients     *sdk.Client
	eraser      Eraser
	externalURL string
	bindings    DefaultBindings
	policies    DefaultPolicies
	queue       workqueue.TypedRateLimitingInterface[string]
}

// indexWaitDelay is how long the workspace controller waits before it looks at a workspace again while the
// workspace index catches up with etcd: a deleting workspace's children are not all gone yet, or a new workspace's
// path is not known yet.
const indexWaitDelay = 200 * time.Millisecond

// errWaitForIndex asks for the key to be processed again after indexWaitDelay (200 ms), without logging an error:
// the controller is waiting for the workspace index, not failing.
var errWaitForIndex = workloop.Again(indexWaitDelay)

// DefaultBindings returns the APIExports a new workspace of a type, created in parent, gets bound.
type DefaultBindings func(ctx context.Context, parent logicalcluster.Name, typeName string) ([]tenancyv1alpha1.APIExportReference, error)

// DefaultPolicies returns the admission policies a new workspace of a type, created in parent, gets.
type DefaultPolicies func(ctx context.Context, parent logicalcluster.Name, typeName string) ([]tenancyv1alpha1.DefaultAdmissionPolicy, error)

// SetDefaultPolicies makes new workspaces get the admission policies of their type; call it before Run.
func (c *Controller) SetDefaultPolicies(policies DefaultPolicies) { c.policies = policies }

// NewController returns a controller that talks to the server through loopback (a privileged config without a
// /clusters prefix) and feeds index. externalURL is the https://host:port users reach the server at; bindings,
// when not nil, says which APIs a new workspace gets bound.
func NewController(loopback *rest.Config, clients *sdk.Client, index *Index, eraser Eraser, externalURL string, bindings DefaultBindings) (*Controller, error) {
	client, err := clusterwatch.LoopbackClient(loopback, tenancyv1alpha1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		index:       index,
		client:      client,
		clients:     clients,
		eraser:      eraser,
		externalURL: externalURL,
		bindings:    bindings,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "workspaces"}),
	}
	index.OnChange(c.queue.Add)
	return c, nil
}

// Feed keeps the index following every workspace's Workspaces through a wildcard watch until ctx ends. Every
// replica feeds it: requests are routed by it.
func (c *Controller) Feed(ctx context.Context) {
	clusterwatch.Feed(ctx, c.client, "/apis/tenancy.gantry.dev/v1alpha1/workspaces",
		func() runtime.Object { return &tenancyv1alpha1.WorkspaceList{} }, &tenancyv1alpha1.Workspace{}, c.index, "workspace-index")
}

// Run processes workspaces with the given number of workers until ctx ends; only the elected replica runs it.
// Keys queued while it did not run are all processed once it does: the queue holds each changed workspace once.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.index.HasSynced) {
		return
	}
	workloop.Run(ctx, c.queue, workers, "workspaces", c.reconcile)
	<-ctx.Done()
}

func (c *Controller) reconcile(ctx context.Context, key string) error {
	ws := c.index.Get(key)
	if ws == nil {
		return nil
	}
	if ws.DeletionTimestamp != nil {
		return c.remove(ctx, key, ws)
	}
	if ws.Status.Phase != tenancyv1alpha1.WorkspacePhaseReady {
		return c.initialize(ctx, key, ws)
	}
	return nil
}

// workspacesOf returns the Workspaces client of the parent of the workspace at key ("<parent>|<name>"), and the
// workspace's name.
func (c *Controller) workspacesOf(key string) (tenancyclient.WorkspaceInterface, string, error) {
	parent, name := logicalcluster.SplitKey(key)
	client, err := tenancyclient.NewForConfigAndClient(c.clients.Config(string(parent)), c.clients.HTTPClient())
	if err != nil {
		return nil, "", err
	}
	return client.Workspaces(), name, nil
}
