package syncer

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/gantry-dev/gantry/pkg/workloop"
)

// eventWorkers is how many downstream events are copied at once.
const eventWorkers = 2

// ownerKinds are the downstream kinds an event's object may be owned through on its way up to a synced copy: a
// pod by its ReplicaSet, that by its Deployment, that by a synced object (or itself synced). The copier keeps
// only their metadata.
var ownerKinds = map[schema.GroupVersionKind]schema.GroupVersionResource{
	corev1.SchemeGroupVersion.WithKind("Pod"):          corev1.SchemeGroupVersion.WithResource("pods"),
	{Group: "apps", Version: "v1", Kind: "ReplicaSet"}: {Group: "apps", Version: "v1", Resource: "replicasets"},
	{Group: "apps", Version: "v1", Kind: "Deployment"}: {Group: "apps", Version: "v1", Resource: "deployments"},
}

// eventCopier copies the downstream Warning events about the syncer's copies, and about the pods, ReplicaSets and
// Deployments they own, up to the workspaces as events on the upstream objects, so that `kubectl describe` there
// tells what happened downstream.
type eventCopier struct {
	s      *Syncer
	events corev1listers.EventLister
	owners map[schema.GroupVersionKind]cache.GenericLister
	queue  workqueue.TypedRateLimitingInterface[cache.ObjectName]
	// clients writes events of one logical cluster through the virtual workspace (logical cluster -> kubernetes.Interface).
	clients sync.Map
	// copied holds each upstream event as last written ("<cluster>|<namespace>/<name>" -> *corev1.Event), whose
	// tally the next repeat adds to; one not here is created, or read when it exists.
	copied sync.Map
}

// copyEvents watches the downstream Warning events in every namespace and copies those about our copies up until
// ctx ends. It does not hold up the syncer's readiness: events are a report, not part of syncing.
func (s *Syncer) copyEvents(ctx context.Context) {
	c := &eventCopier{s: s, owners: map[schema.GroupVersionKind]cache.GenericLister{},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[cache.ObjectName](),
			workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: "gantry_syncer_events"})}
	defer c.queue.ShutDown()
	meta, err := metadata.NewForConfig(s.cfg.To)
	if err != nil {
		klog.FromContext(ctx).Error(err, "cannot copy downstream events up")
		return
	}
	warnings := informers.NewSharedInformerFactoryWithOptions(s.down, s.cfg.Resync, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("type", corev1.EventTypeWarning).String()
	}))
	events := warnings.Core().V1().Events()
	c.events = events.Lister()
	_, _ = events.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.eventChanged,
		UpdateFunc: func(_, obj interface{}) { c.eventChanged(obj) },
	})
	owners := metadatainformer.NewSharedInformerFactory(meta, s.cfg.Resync)
	synced := []cache.InformerSynced{events.Informer().HasSynced}
	for gvk, gvr := range ownerKinds {
		inf := owners.ForResource(gvr)
		c.owners[gvk] = inf.Lister()
		synced = append(synced, inf.Informer().HasSynced)
	}
	warnings.Start(ctx.Done())
	owners.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return
	}
	workloop.Run(ctx, c.queue, eventWorkers, "gantry_syncer_events", c.copy)
	<-ctx.Done()
}

// eventChanged enqueues a Warning event of one of our namespaces.
func (c *eventCopier) eventChanged(obj interface{}) {
	ev, ok := obj.(*corev1.Event)
	if !ok || ev.Type != corev1.EventTypeWarning {
		return
	}
	if _, err := c.s.namespaces.Get(ev.Namespace); err != nil {
		return // not a namespace the syncer made
	}
	c.queue.Add(cache.ObjectName{Namespace: ev.Namespace, Name: ev.Name})
}

// client returns the client that writes events of one logical cluster through the virtual workspace.
func (c *eventCopier) client(cluster string) (kubernetes.Interface, error) {
	if cl, ok := c.clients.Load(cluster); ok {
		return cl.(kubernetes.Interface), nil
	}
	cl, err := kubernetes.NewForConfigAndClient(c.s.clusterConfig(cluster), c.s.vwHTTP)
	if err != nil {
		return nil, err
	}
	c.clients.Store(cluster, cl)
	return cl, nil
}
