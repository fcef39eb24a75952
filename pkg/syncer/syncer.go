package syncer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/sdk"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// key is one unit of work: an upstream object of a synced resource, or (namespaceOnly) a downstream namespace to
// remove once empty.
type key struct {
	GVR           schema.GroupVersionResource
	Cluster       string
	Namespace     string
	Name          string
	namespaceOnly bool
}

// String names the key in logs.
func (k key) String() string {
	if k.namespaceOnly {
		return "namespace " + k.Namespace
	}
	return fmt.Sprintf("%s %s|%s/%s", k.GVR.GroupResource(), k.Cluster, k.Namespace, k.Name)
}

// errRequeue asks for the key again later (with the queue's backoff) without logging an error: something the
// syncer waits for (a downstream deletion, an informer's first list) has not happened yet.
var errRequeue = errors.New("not yet")

// Syncer copies the objects placed on one SyncTarget to its downstream cluster and their status back, and reports
// the cluster's capacity and GPUs in the SyncTarget's status.
type Syncer struct {
	cfg              Config
	path, name       string
	key              string // computev1alpha1.TargetKey of the target
	computeCluster   string // the compute workspace's logical cluster
	stateLabel       string
	finalizer        string
	statusAnnotation string                         // where this target's view of an object placed on several goes
	spec             computev1alpha1.SyncTargetSpec // as read at start

	gantry versioned.Interface // the compute workspace
	vw     *rest.Config        // the target's virtual workspace, Host without /clusters/...
	vwHTTP *http.Client
	vwAll  dynamic.Interface // the virtual workspace across every workspace

	down           kubernetes.Interface
	downDynamic    dynamic.Interface
	downExt        apiextensionsclient.Interface
	namespaces     corev1listers.NamespaceLister
	nodes          corev1listers.NodeLister
	pods           corev1listers.PodLister
	pendingPods    corev1listers.PodLister // unscheduled pods, for the reason upstream
	typedSynced    []cache.InformerSynced
	typedFactory   informers.SharedInformerFactory
	podFactory     informers.SharedInformerFactory
	labeledFactory informers.SharedInformerFactory

	queue    workqueue.TypedRateLimitingInterface[key]
	coalesce time.Duration  // how long a downstream change waits to be reconciled (coalesceDelay)
	applied  *appliedStates // the last apply of each downstream copy, to skip those that would change nothing
	writers  sync.Map       // logical cluster -> dynamic.Interface through the virtual workspace
	mu       sync.RWMutex
	res      map[schema.GroupVersionResource]*resource
	pending  map[schema.GroupVersionResource]computev1alpha1.SyncedResource
	fuel     chan struct{} // a node or pod changed
	discover chan struct{} // the SyncTarget's spec changed
	ready    atomic.Bool
}

// New checks cfg and builds the syncer's clients; it reads nothing yet.
func New(cfg Config) (*Syncer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	base, _ := serverBase(cfg.From.Host)
	from := rest.CopyConfig(cfg.From)
	from.Host, from.APIPath = base, ""
	gantryClient, err := sdk.New(from)
	if err != nil {
		return nil, err
	}
	s := &Syncer{cfg: cfg, path: cfg.SyncTargetPath, name: cfg.SyncTargetName,
		res: map[schema.GroupVersionResource]*resource{}, pending: map[schema.GroupVersionResource]computev1alpha1.SyncedResource{},
		fuel: make(chan struct{}, 1), discover: make(chan struct{}, 1), applied: newAppliedStates(), coalesce: coalesceDelay}
	if s.gantry, err = gantryClient.Gantry(cfg.SyncTargetPath); err != nil {
		return nil, err
	}
	s.vw = rest.CopyConfig(from)
	s.vw.Host = base + "/services/syncer/" + cfg.SyncTargetPath + "/" + cfg.SyncTargetName
	if s.vwHTTP, err = rest.HTTPClientFor(s.vw); err != nil {
		return nil, err
	}
	if s.vwAll, err = dynamic.NewForConfigAndClient(s.clusterConfig(sdk.Wildcard), s.vwHTTP); err != nil {
		return nil, err
	}
	if err := s.downstreamClients(cfg.To); err != nil {
		return nil, err
	}
	s.queue = workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[key](),
		workqueue.TypedRateLimitingQueueConfig[key]{Name: "gantry_syncer"})
	return s, nil
}

// downstreamClients builds the downstream clients and the informers of our namespaces, of nodes and of pods.
func (s *Syncer) downstreamClients(to *rest.Config) error {
	var err error
	if s.down, err = kubernetes.NewForConfig(to); err != nil {
		return err
	}
	if s.downDynamic, err = dynamic.NewForConfig(to); err != nil {
		return err
	}
	if s.downExt, err = apiextensionsclient.NewForConfig(to); err != nil {
		return err
	}
	s.typedFactory = informers.NewSharedInformerFactory(s.down, s.cfg.Resync)
	s.nodes = s.typedFactory.Core().V1().Nodes().Lister()
	// Only pods that hold GPUs can matter: bound and not terminated (a pod that terminates leaves the watch), and
	// of those only what ComputeFuel reads is kept.
	s.podFactory = informers.NewSharedInformerFactoryWithOptions(s.down, s.cfg.Resync,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = activePods }),
		informers.WithTransform(TrimPod))
	s.pods = s.podFactory.Core().V1().Pods().Lister()
	return nil
}

// clusterConfig is the virtual workspace's config for one logical cluster, or every one (sdk.Wildcard).
func (s *Syncer) clusterConfig(cluster string) *rest.Config {
	cfg := rest.CopyConfig(s.vw)
	cfg.Host = s.vw.Host + "/clusters/" + cluster
	return cfg
}

// writer is the dynamic client that writes objects of one logical cluster through the virtual workspace; they
// share one connection pool.
func (s *Syncer) writer(cluster string) (dynamic.Interface, error) {
	if c, ok := s.writers.Load(cluster); ok {
		return c.(dynamic.Interface), nil
	}
	c, err := dynamic.NewForConfigAndClient(s.clusterConfig(cluster), s.vwHTTP)
	if err != nil {
		return nil, err
	}
	s.writers.Store(cluster, c)
	return c, nil
}

// Ready reports whether every informer has read its first list (the /readyz answer).
func (s *Syncer) Ready() bool { return s.ready.Load() }

// Run syncs until ctx ends. It fails at once when the SyncTarget cannot be read (missing, or no rights on it),
// since a syncer pointed at the wrong target can do nothing useful; later errors are logged and retried.
func (s *Syncer) Run(ctx context.Context) error {
	defer utilruntime.HandleCrash()
	defer s.queue.ShutDown()
	logger := klog.FromContext(ctx).WithValues("syncTarget", s.path+"/"+s.name)
	ctx = klog.NewContext(ctx, logger)
	if err := serveMetrics(ctx, s.cfg.MetricsBindAddress, s.cfg.Profiling); err != nil {
		return fmt.Errorf("serving metrics: %w", err)
	}
	if err := serveHealth(ctx, s.cfg.HealthProbeBindAddress, s.Ready); err != nil {
		return fmt.Errorf("serving health probes: %w", err)
	}
	if err := s.readTarget(ctx); err != nil {
		return err
	}
	s.startDownstreamInformers(ctx)
	if err := s.refreshResources(ctx); err != nil {
		return fmt.Errorf("discovering the resources of %s: %w", s.vw.Host, err)
	}
	if !cache.WaitForCacheSync(ctx.Done(), s.allSynced) {
		return ctx.Err()
	}
	s.ready.Store(true)
	logger.Info("informers synced; syncing", "resources", len(s.resources()))
	for range s.cfg.Workers {
		go s.work(ctx)
	}
	go s.heartbeat(ctx)
	go s.copyEvents(ctx)
	s.resyncLoop(ctx)
	return nil
}

// readTarget reads the SyncTarget once, to learn its logical cluster (which the state label and finalizer are
// derived from) and to fail early with a clear message when it is missing.
func (s *Syncer) readTarget(ctx context.Context) error {
	target, err := s.gantry.ComputeV1alpha1().SyncTargets().Get(ctx, s.name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("SyncTarget %q does not exist in workspace %s: create it first", s.name, s.path)
	case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
		return fmt.Errorf("SyncTarget %[1]q in workspace %[2]s is missing or cannot be read with these credentials "+
			"(the syncer needs the verb sync on synctargets/%[1]s): %[3]w", s.name, s.path, err)
	case err != nil:
		return fmt.Errorf("reading SyncTarget %q in workspace %s: %w", s.name, s.path, err)
	}
	s.computeCluster = target.Annotations[computev1alpha1.ClusterAnnotation]
	if s.computeCluster == "" {
		return fmt.Errorf("SyncTarget %s/%s carries no %s annotation", s.path, s.name, computev1alpha1.ClusterAnnotation)
	}
	s.spec = target.Spec
	s.key = computev1alpha1.TargetKey(s.computeCluster, s.name)
	s.stateLabel = computev1alpha1.StateLabel(s.computeCluster, s.name)
	s.finalizer = computev1alpha1.SyncerFinalizer(s.computeCluster, s.name)
	s.statusAnnotation = computev1alpha1.StatusAnnotation(s.computeCluster, s.name)
	return nil
}

// startDownstreamInformers starts the informers of our namespaces (to recreate one deleted by hand and remove
// empty ones), and of nodes and pods (the fuel).
func (s *Syncer) startDownstreamInformers(ctx context.Context) {
	s.labeledFactory = informers.NewSharedInformerFactoryWithOptions(s.down, s.cfg.Resync,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = SyncTargetLabel + "=" + s.key }))
	nsInformer := s.labeledFactory.Core().V1().Namespaces()
	s.namespaces = nsInformer.Lister()
	_, _ = nsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    s.namespaceChanged,
		UpdateFunc: func(_, obj interface{}) { s.namespaceChanged(obj) },
		DeleteFunc: func(obj interface{}) { s.namespaceChanged(unwrap(obj)) },
	})
	fuelChanged := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(interface{}) { s.fuelChanged() },
		UpdateFunc: func(interface{}, interface{}) { s.fuelChanged() },
		DeleteFunc: func(interface{}) { s.fuelChanged() },
	}
	for _, inf := range []cache.SharedIndexInformer{s.typedFactory.Core().V1().Nodes().Informer(), s.podFactory.Core().V1().Pods().Informer()} {
		_, _ = inf.AddEventHandler(fuelChanged)
		s.typedSynced = append(s.typedSynced, inf.HasSynced)
	}
	s.typedSynced = append(s.typedSynced, nsInformer.Informer().HasSynced)
	s.watchPendingPods(ctx.Done())
	s.labeledFactory.Start(ctx.Done())
	s.typedFactory.Start(ctx.Done())
	s.podFactory.Start(ctx.Done())
}

// allSynced reports whether every informer has read its first list.
func (s *Syncer) allSynced() bool {
	for _, synced := range s.typedSynced {
		if !synced() {
			return false
		}
	}
	for _, r := range s.resources() {
		if !r.synced() {
			return false
		}
	}
	return true
}

// work reconciles keys until the queue shuts down. A failing key is retried with the queue's backoff and never
// holds up the others.
func (s *Syncer) work(ctx context.Context) {
	for {
		k, quit := s.queue.Get()
		if quit {
			return
		}
		err := s.reconcile(ctx, k)
		switch {
		case err == nil:
			s.queue.Forget(k)
		case errors.Is(err, errRequeue) || apierrors.IsConflict(err):
			// A conflict only means a cache was behind a write; the next try reads the newer object.
			s.queue.AddRateLimited(k)
		default:
			klog.FromContext(ctx).Error(err, "sync failed; retrying", "key", k.String())
			s.queue.AddRateLimited(k)
		}
		s.queue.Done(k)
	}
}

// resyncLoop reconciles every known object again each Resync period and re-reads the served resources, repairing
// what no event announced; the same refresh runs at once when the SyncTarget's spec changes.
func (s *Syncer) resyncLoop(ctx context.Context) {
	var tick <-chan time.Time
	if s.cfg.Resync > 0 {
		t := time.NewTicker(s.cfg.Resync)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.discover:
		case <-tick:
			s.enqueueAll()
		}
		if err := s.refreshResources(ctx); err != nil {
			klog.FromContext(ctx).Error(err, "re-discovering the synced resources")
		}
	}
}

// enqueueAll adds every upstream object and every downstream copy to the queue.
func (s *Syncer) enqueueAll() {
	for _, r := range s.resources() {
		for _, k := range r.upstream.Indexer().ListKeys() {
			s.enqueueUpstream(r.gvr, k)
		}
		for _, obj := range r.downstream.GetStore().List() {
			s.downstreamChanged(r.gvr, obj)
		}
	}
}

// enqueueUpstream adds an upstream object by its sdk.ClusterKey.
func (s *Syncer) enqueueUpstream(gvr schema.GroupVersionResource, clusterKey string) {
	cluster, namespace, name := sdk.SplitClusterKey(clusterKey)
	s.queue.Add(key{GVR: gvr, Cluster: cluster, Namespace: namespace, Name: name})
}

// enqueueUpstreamNamespace adds every upstream object of one namespace of one workspace, of the resources only
// accepts (all of them when only is nil).
func (s *Syncer) enqueueUpstreamNamespace(cluster, namespace string, only func(schema.GroupVersionResource) bool) {
	for _, r := range s.resources() {
		if only != nil && !only(r.gvr) {
			continue
		}
		objs, _ := r.upstream.Indexer().ByIndex(sdk.ClusterIndex, cluster)
		for _, obj := range objs {
			if k, err := sdk.ClusterKey(obj); err == nil && strings.Contains(k, "|"+namespace+"/") {
				s.enqueueUpstream(r.gvr, k)
			}
		}
	}
}

// unwrap returns the last known object of a deletion tombstone.
func unwrap(obj interface{}) interface{} {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return t.Obj
	}
	return obj
}
