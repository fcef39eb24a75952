package servingprovider

import (
	"context"
	"time"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/util/workqueue"

	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
)

// The provider workspace and what it publishes.
const (
	// ParentPath is the workspace the provider workspace is created in.
	ParentPath = "root"
	// WorkspaceName is the provider workspace's name in ParentPath.
	WorkspaceName = "serving"
	// Path is the provider workspace: bind the export from here.
	Path = ParentPath + ":" + WorkspaceName
	// ExportName is the APIExport of the serving API in Path, and the name of every APIBinding of it made by Gantry.
	ExportName = "serving"
	// RuntimesNamespace is the namespace of Path holding the built-in ServingRuntimes. A runtime named by an
	// InferenceService is the ServingRuntime of that name in the service's own namespace, else the one of that name
	// here.
	RuntimesNamespace = "default"
	// BuiltinLabel marks the ServingRuntimes Gantry ships, with the value "true".
	BuiltinLabel = "serving.gantry.dev/builtin"
	// BindRole is the ClusterRole of Path granting the verb "bind" on the export, bound to every authenticated user.
	BindRole = "gantry:serving:bind"
)

// waitDelay is how long the provider waits before looking again while the workspace or its binding settles.
const waitDelay = 500 * time.Millisecond

// errWaitForWorkspace and errWaitForBinding ask for another pass after waitDelay, without logging an error.
var (
	errWaitForWorkspace = workloop.Again(waitDelay)
	errWaitForBinding   = workloop.Again(waitDelay)
)

// Controller publishes the serving API in the provider workspace. It has one key, the provider workspace's path,
// processed once each time the replica starts leading, and again until a pass succeeds.
type Controller struct {
	clients *sdk.Client
	queue   workqueue.TypedRateLimitingInterface[string]
}

// NewController returns a provider controller that writes through clients (privileged).
func NewController(clients *sdk.Client) *Controller {
	return &Controller{
		clients: clients,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "servingprovider"}),
	}
}

// Run publishes the serving API until a pass succeeds, then idles until ctx ends; only the elected replica runs it.
func (c *Controller) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	c.queue.Add(Path)
	workloop.Run(ctx, c.queue, 1, "servingprovider", c.reconcile)
	<-ctx.Done()
}

// reconcile runs the steps in order: each needs what the previous made.
func (c *Controller) reconcile(ctx context.Context, _ string) error {
	if err := c.ensureWorkspace(ctx); err != nil {
		return err
	}
	names, err := c.ensureSchemas(ctx)
	if err != nil {
		return err
	}
	if err := c.ensureExport(ctx, names); err != nil {
		return err
	}
	if err := c.ensureBindPermission(ctx); err != nil {
		return err
	}
	if err := c.ensureSelfBinding(ctx); err != nil {
		return err
	}
	return c.ensureRuntimes(ctx)
}
