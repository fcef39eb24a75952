package customresources

import (
	"context"
	"strings"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
)

// cleanupPrefix marks queue items that erase the objects of a CRD that is gone.
const cleanupPrefix = "cleanup|"

// Controller establishes the names of every workspace's CRDs and erases the objects of deleted ones. One
// controller serves all workspaces through one wildcard watch.
type Controller struct {
	index  *crdset.Index
	server *Server
	eraser *clusterstore.Eraser
	client rest.Interface
	// clients makes the clients of one workspace, for writes.
	clients *sdk.Client
	queue   workqueue.TypedRateLimitingInterface[string]

	mu      sync.Mutex
	removed map[string]*apiextensionsv1.CustomResourceDefinition
}

// NewController returns a controller talking to the server through loopback (privileged, no /clusters prefix).
func NewController(loopback *rest.Config, clients *sdk.Client, index *crdset.Index, server *Server, eraser *clusterstore.Eraser) (*Controller, error) {
	client, err := clusterwatch.LoopbackClient(loopback, apiextensionsv1.SchemeGroupVersion, registry.APIExtensionsCodecs)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		index: index, server: server, eraser: eraser, client: client, clients: clients,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "customresourcedefinitions"}),
		removed: map[string]*apiextensionsv1.CustomResourceDefinition{},
	}
	index.Watch(c.changed)
	return c, nil
}

func (c *Controller) changed(key string, removed *apiextensionsv1.CustomResourceDefinition) {
	if removed != nil {
		// Every replica drops the storage of a CRD that is gone; the elected one also erases its objects.
		go c.server.Forget(removed)
		item := cleanupPrefix + string(removed.UID)
		c.mu.Lock()
		c.removed[item] = removed
		c.mu.Unlock()
		c.queue.Add(item)
		// A name freed by the removed CRD may settle a conflict of another one in the workspace.
		cluster, _ := logicalcluster.SplitKey(key)
		for _, other := range c.index.InCluster(cluster) {
			c.queue.Add(logicalcluster.Key(cluster, other.Name))
		}
	}
	c.queue.Add(key)
}

// Feed keeps the CRD index following every workspace's CRDs through a wildcard watch until ctx ends. Every
// replica feeds it: it decides what is served.
func (c *Controller) Feed(ctx context.Context) {
	clusterwatch.Feed(ctx, c.client, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
		func() runtime.Object { return &apiextensionsv1.CustomResourceDefinitionList{} }, &apiextensionsv1.CustomResourceDefinition{}, c.index, "crd-index")
}

// Run establishes CRDs and erases the objects of removed ones until ctx ends; only the elected replica runs it.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.index.HasSynced) {
		return
	}
	workloop.Run(ctx, c.queue, workers, "customresourcedefinitions", func(ctx context.Context, item string) error {
		if strings.HasPrefix(item, cleanupPrefix) {
			return c.cleanup(ctx, item)
		}
		return c.establish(ctx, item)
	})
	<-ctx.Done()
}

func (c *Controller) cleanup(ctx context.Context, item string) error {
	c.mu.Lock()
	crd := c.removed[item]
	c.mu.Unlock()
	if crd == nil {
		return nil
	}
	// Erase every object of the CRD that is gone, in every workspace.
	if err := c.eraser.EraseResource(ctx, crdset.StoragePrefix(crd)); err != nil {
		return err
	}
	c.mu.Lock()
	delete(c.removed, item)
	c.mu.Unlock()
	return nil
}

func (c *Controller) putStatus(ctx context.Context, cluster string, crd *apiextensionsv1.CustomResourceDefinition) error {
	client, err := c.clients.APIExtensions(cluster)
	if err != nil {
		return err
	}
	_, err = client.ApiextensionsV1().CustomResourceDefinitions().UpdateStatus(ctx, crd, metav1.UpdateOptions{})
	return err
}
