package namespace

import (
	"context"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
)

// Controller finalizes terminating namespaces in every workspace. It reads the wildcard index of namespaces the
// server already keeps and talks to each workspace through the server's privileged clients; a workspace costs it
// nothing until one of its namespaces is deleted.
type Controller struct {
	namespaces *clusterwatch.Store[*corev1.Namespace]
	clients    *sdk.Client
	synced     cache.InformerSynced
	queue      workqueue.TypedRateLimitingInterface[key]
}

// key names a namespace in a workspace.
type key struct {
	cluster logicalcluster.Name
	name    string
}

// errContentRemains asks for the namespace to be looked at again: something in it is still going away.
var errContentRemains = workloop.Again(time.Second)

// NewController returns a controller fed by namespaces, which must not be fed yet, acting through the privileged
// clients. servingSynced reports whether the server knows every workspace
// and custom resource; until then discovery could miss resources that must be emptied.
func NewController(namespaces *clusterwatch.Store[*corev1.Namespace], clients *sdk.Client, servingSynced cache.InformerSynced) *Controller {
	c := &Controller{
		namespaces: namespaces,
		clients:    clients,
		synced:     servingSynced,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[key](),
			workqueue.TypedRateLimitingQueueConfig[key]{Name: "namespaces"}),
	}
	namespaces.OnChange(func(cluster logicalcluster.Name, name string) { c.queue.Add(key{cluster, name}) })
	return c
}

// Run processes namespaces with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.namespaces.HasSynced, c.synced) {
		return
	}
	workloop.Run(ctx, c.queue, workers, "namespaces", c.reconcile)
	<-ctx.Done()
}

func (c *Controller) reconcile(ctx context.Context, k key) error {
	ns, ok := c.namespaces.Get(k.cluster, k.name)
	if !ok || ns.DeletionTimestamp == nil || !slices.Contains(ns.Spec.Finalizers, corev1.FinalizerKubernetes) {
		return nil
	}
	return c.finalize(ctx, k.cluster, ns)
}
