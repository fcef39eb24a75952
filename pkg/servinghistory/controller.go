package servinghistory

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
)

// Config is what the controller needs.
type Config struct {
	// Clients makes privileged clients: of one workspace for writes, and of the export's virtual workspace.
	Clients *sdk.Client
	// ExportPath and ExportName name the APIExport of the serving API (root:serving, serving).
	ExportPath, ExportName string
	// Now is the clock of the recorded change times; nil is time.Now.
	Now func() time.Time
}

// Controller records the revisions of every InferenceService of every workspace that binds the serving export.
type Controller struct {
	config   Config
	services *sdk.WildcardInformer
	models   *sdk.WildcardInformer
	// queue holds sdk.ClusterKeys of InferenceServices.
	queue workqueue.TypedRateLimitingInterface[string]
}

// NewController returns a controller; Run starts it.
func NewController(config Config) (*Controller, error) {
	if config.Now == nil {
		config.Now = time.Now
	}
	view, err := config.Clients.APIExport(config.ExportPath, config.ExportName).Dynamic(sdk.Wildcard)
	if err != nil {
		return nil, err
	}
	gv := servingv1alpha1.SchemeGroupVersion
	c := &Controller{
		config:   config,
		services: sdk.NewDynamicWildcardInformer(view, gv.WithResource("inferenceservices")),
		models:   sdk.NewDynamicWildcardInformer(view, gv.WithResource("models")),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: "servinghistory"}),
	}
	c.services.AddHandler(handler{changed: func(key string, _ interface{}) { c.queue.Add(key) }})
	c.models.AddHandler(handler{changed: c.enqueueFollowers})
	return c, nil
}

// Run feeds the informers and records revisions with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	go c.services.Run(ctx)
	go c.models.Run(ctx)
	if !cache.WaitForCacheSync(ctx.Done(), c.services.HasSynced, c.models.HasSynced) {
		return
	}
	workloop.Run(ctx, c.queue, workers, "servinghistory", c.reconcile)
	<-ctx.Done()
}

// reconcile brings one service's history up to date: record, annotate, prune.
func (c *Controller) reconcile(ctx context.Context, key string) error {
	cluster, namespace, name := sdk.SplitClusterKey(key)
	client, err := c.config.Clients.Gantry(cluster)
	if err != nil {
		return err
	}
	s := &step{client: client.ServingV1alpha1(), namespace: namespace, name: name, now: c.config.Now}
	for _, run := range []func(context.Context) (bool, error){s.record, s.annotate, s.prune} {
		if more, err := run(ctx); err != nil || !more {
			return err
		}
	}
	return nil
}

// enqueueFollowers queues the services of the Model's workspace and namespace that refer to it: a promotion may
// move the version they resolve to.
func (c *Controller) enqueueFollowers(key string, _ interface{}) {
	cluster, namespace, model := sdk.SplitClusterKey(key)
	items, err := c.services.Indexer().ByIndex(sdk.ClusterIndex, cluster)
	if err != nil {
		return
	}
	for _, item := range items {
		isvc, ok := toService(item)
		if !ok || isvc.Namespace != namespace {
			continue
		}
		if ref := isvc.Spec.Predictor.Model.ModelRef; ref != nil && ref.Name == model {
			serviceKey, err := sdk.ClusterKey(isvc)
			if err == nil {
				c.queue.Add(serviceKey)
			}
		}
	}
}

// toService decodes an informer's object.
func toService(obj interface{}) (*servingv1alpha1.InferenceService, bool) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return nil, false
	}
	isvc := &servingv1alpha1.InferenceService{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, isvc); err != nil {
		klog.V(2).InfoS("an InferenceService that does not decode", "name", u.GetName(), "err", err)
		return nil, false
	}
	return isvc, true
}

// handler calls changed on additions and updates; deletions need nothing (a revision is owned by its service).
type handler struct {
	changed func(key string, obj interface{})
}

// OnAdd implements sdk.Handler.
func (h handler) OnAdd(key string, obj interface{}) { h.changed(key, obj) }

// OnUpdate implements sdk.Handler.
func (h handler) OnUpdate(key string, _, obj interface{}) { h.changed(key, obj) }

// OnDelete implements sdk.Handler.
func (h handler) OnDelete(string, interface{}) {}
