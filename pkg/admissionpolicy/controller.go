package admissionpolicy

import (
	"context"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
)

// StatusController writes the status of every workspace's ValidatingAdmissionPolicies: the type-checking
// warnings of their expressions against the schemas of the kinds they match, in that workspace (its own CRDs and
// bound resources included), and the generation they were checked at. Upstream, kube-controller-manager does it.
type StatusController struct {
	policies *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicy]
	clients  *sdk.Client
	queue    workqueue.TypedRateLimitingInterface[key]
}

// key names a policy in a workspace.
type key struct {
	cluster logicalcluster.Name
	name    string
}

// NewStatusController returns the controller fed by policies, which must not be fed yet.
func NewStatusController(policies *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicy], clients *sdk.Client) *StatusController {
	c := &StatusController{policies: policies, clients: clients,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[key](),
			workqueue.TypedRateLimitingQueueConfig[key]{Name: "admissionpolicy-status"})}
	policies.OnChange(func(cluster logicalcluster.Name, name string) { c.queue.Add(key{cluster, name}) })
	return c
}

// Run writes statuses with the given number of workers until ctx ends.
func (c *StatusController) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.policies.HasSynced) {
		return
	}
	// Policies listed before this replica led were queued already, by the store's first list.
	workloop.Run(ctx, c.queue, workers, "admissionpolicy-status", c.reconcile)
	<-ctx.Done()
}

func (c *StatusController) reconcile(ctx context.Context, k key) error {
	policy, ok := c.policies.Get(k.cluster, k.name)
	if !ok || policy.DeletionTimestamp != nil || policy.Status.ObservedGeneration == policy.Generation {
		return nil
	}
	return c.typeCheck(ctx, k.cluster, policy)
}
