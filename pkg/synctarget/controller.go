package synctarget

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
)

// DefaultLease is how long a SyncTarget stays Ready after its last heartbeat: three of gantry-syncer's default
// 10-second heartbeats.
const DefaultLease = 30 * time.Second

// WorkspaceIndex finds the path of a workspace, for the virtual workspace URL, and the workspace of a path, for
// the supported APIExports; OnChange tells of every workspace that appears or goes.
type WorkspaceIndex interface {
	Workspaces
	Path(cluster logicalcluster.Name) (logicalcluster.Path, bool)
	OnChange(f func(key string))
	HasSynced() bool
}

// Config is what the controller needs.
type Config struct {
	// Targets is the server's index of SyncTargets, not fed yet.
	Targets *clusterwatch.Store[*computev1alpha1.SyncTarget]
	// Clients makes the privileged clients of one workspace, for the status writes.
	Clients *sdk.Client
	// Workspaces finds each target's workspace path and the workspaces of its supported exports.
	Workspaces WorkspaceIndex
	// Exports is the server's index of APIExports (fed by the APIBinding controller), for APIExportsValid.
	Exports *clusterwatch.Store[*apisv1alpha1.APIExport]
	// ExternalURL is https://host:port, the start of the virtual workspace URLs.
	ExternalURL string
	// Lease is how long a target stays Ready after a heartbeat; zero is DefaultLease.
	Lease time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Controller writes the Ready and APIExportsValid conditions and the virtual workspace URL of every SyncTarget.
type Controller struct {
	config Config
	queue  workqueue.TypedRateLimitingInterface[key]
}

// key names a SyncTarget in a workspace.
type key struct {
	cluster logicalcluster.Name
	name    string
}

// NewController returns a controller fed by config.Targets; Run starts it.
func NewController(config Config) *Controller {
	if config.Lease <= 0 {
		config.Lease = DefaultLease
	}
	if config.Now == nil {
		config.Now = time.Now
	}
	c := &Controller{
		config: config,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[key](),
			workqueue.TypedRateLimitingQueueConfig[key]{Name: "synctargets"}),
	}
	config.Targets.OnChange(func(cluster logicalcluster.Name, name string) { c.queue.Add(key{cluster, name}) })
	// An export that appears or goes changes the condition of the targets that name it; a workspace that appears
	// may hold an export a target waits for.
	config.Exports.OnChange(func(_ logicalcluster.Name, name string) {
		c.enqueueTargets(func(t *computev1alpha1.SyncTarget) bool { return referencesExport(t, name) })
	})
	config.Workspaces.OnChange(func(string) {
		c.enqueueTargets(func(t *computev1alpha1.SyncTarget) bool {
			return len(t.Spec.SupportedAPIExports) > 0 && !exportsValid(t)
		})
	})
	return c
}

// enqueueTargets queues every SyncTarget, of any workspace, for which match is true. There are few SyncTargets (one
// per downstream cluster), so scanning them is cheap.
func (c *Controller) enqueueTargets(match func(*computev1alpha1.SyncTarget) bool) {
	for _, cluster := range c.config.Targets.Clusters() {
		for _, t := range c.config.Targets.List(cluster) {
			if match(t) {
				c.queue.Add(key{cluster, t.Name})
			}
		}
	}
}

// Run processes SyncTargets with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.config.Targets.HasSynced, c.config.Exports.HasSynced, c.config.Workspaces.HasSynced) {
		return
	}
	workloop.Run(ctx, c.queue, workers, "synctargets", c.reconcile)
	<-ctx.Done()
}

// reconcile writes what the target's status should say now, and asks to be called again when its lease ends.
func (c *Controller) reconcile(ctx context.Context, k key) error {
	target, ok := c.config.Targets.Get(k.cluster, k.name)
	if !ok {
		return nil
	}
	now := c.config.Now()
	want := target.DeepCopy()
	ready, recheckIn := readyCondition(target.Status.LastHeartbeatTime, now, c.config.Lease)
	setCondition(&want.Status.Conditions, ready, now)
	setCondition(&want.Status.Conditions, exportsCondition(missingExports(target, c.config.Workspaces, c.config.Exports)), now)
	if path, ok := c.config.Workspaces.Path(k.cluster); ok {
		want.Status.VirtualWorkspaceURL = VirtualWorkspaceURL(c.config.ExternalURL, path, k.name)
	}
	if !statusEqual(target, want) {
		client, err := c.config.Clients.Gantry(string(k.cluster))
		if err != nil {
			return err
		}
		_, err = client.ComputeV1alpha1().SyncTargets().UpdateStatus(ctx, want, metav1.UpdateOptions{})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil // gone, or changed again: the change brings it back
		}
		if err != nil {
			return err
		}
	}
	if recheckIn > 0 {
		return workloop.Again(recheckIn)
	}
	return nil
}

// VirtualWorkspaceURL is where the syncer of the SyncTarget name in the workspace at path reads its objects.
func VirtualWorkspaceURL(externalURL string, path logicalcluster.Path, name string) string {
	return externalURL + "/services/syncer/" + string(path) + "/" + name
}
