package apibinding

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
)

// Workspaces resolves workspace paths.
type Workspaces interface {
	Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool)
	Path(cluster logicalcluster.Name) (logicalcluster.Path, bool)
}

// Eraser removes one workspace's objects of a bound resource (clusterstore.Eraser).
type Eraser interface {
	EraseShare(ctx context.Context, resourcePrefix string, cluster logicalcluster.Name) error
}

// Config is what the controller needs.
type Config struct {
	// Loopback is a privileged config without a /clusters prefix, for the wildcard watches.
	Loopback *rest.Config
	// Clients makes the privileged clients of one workspace, for writes.
	Clients *sdk.Client
	// Workspaces resolves the paths bindings name.
	Workspaces Workspaces
	// CRDs is the source of served CRDs: bindings must not clash with a workspace's own CRDs, and the controller
	// writes each workspace's bound CRDs and each export's offered CRDs there.
	CRDs *crdset.Set
	// Eraser removes a deleted binding's objects.
	Eraser Eraser
	// ExternalURL is https://host:port, for the exports' virtual workspace URLs.
	ExternalURL string
	// ReservedGroups are served by Gantry itself and cannot be bound, except core-group resources Gantry does not
	// serve (services, persistentvolumeclaims, ...: registry.Reserved).
	ReservedGroups []string
}

// Controller reconciles APIExports and APIBindings of every workspace, from three wildcard watches.
type Controller struct {
	config   Config
	client   rest.Interface
	exports  *clusterwatch.Store[*apisv1alpha1.APIExport]
	schemas  *clusterwatch.Store[*apisv1alpha1.APIResourceSchema]
	bindings *clusterwatch.Store[*apisv1alpha1.APIBinding]
	queue    workqueue.TypedRateLimitingInterface[item]
	reserved registry.Reserved

	// boundSynced is set once every workspace's bindings have been decided after the start.
	boundSynced atomic.Bool
	// leading is set on the elected replica: only it writes (statuses, identities, finalizers, erasures). Every
	// replica decides what each workspace serves, from the same objects, and so serves the same.
	leading atomic.Bool

	mu sync.Mutex
	// consumers maps an export ("<cluster>|<name>") to the workspaces that bind it.
	consumers map[string]map[logicalcluster.Name]bool
	// bindsTo is the reverse of consumers: the exports each workspace binds.
	bindsTo map[logicalcluster.Name]map[string]bool
	// crds caches the CRD of each (schema UID, identity), so that every workspace shares one object.
	crds map[string]*apiextensionsv1.CustomResourceDefinition
	// servedSchemas holds, per identity and resource, the schema it is served with and that CRD's generation.
	servedSchemas map[string]servedSchema
}

// item is a unit of work: one export, or all bindings of one workspace (decided together, so that two bindings
// racing for a resource cannot both win).
type item struct {
	export  bool
	cluster logicalcluster.Name
	name    string
}

// identityWaitDelay is how long a workspace's bindings wait before they are decided again when an APIExport they
// reference has no identity yet.
const identityWaitDelay = time.Second

// errWaitForIdentity asks for an item to be decided again after identityWaitDelay (1 s), without logging an error:
// a binding is waiting for its APIExport's identity, not failing.
var errWaitForIdentity = workloop.Again(identityWaitDelay)

// NewController returns a controller; Run starts it.
func NewController(config Config) (*Controller, error) {
	client, err := clusterwatch.LoopbackClient(config.Loopback, apisv1alpha1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		config:   config,
		client:   client,
		exports:  clusterwatch.NewStore[*apisv1alpha1.APIExport](),
		schemas:  clusterwatch.NewStore[*apisv1alpha1.APIResourceSchema](),
		bindings: clusterwatch.NewStore[*apisv1alpha1.APIBinding](),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[item](),
			workqueue.TypedRateLimitingQueueConfig[item]{Name: "apibindings"}),
		reserved:      registry.NewReserved(config.ReservedGroups),
		consumers:     map[string]map[logicalcluster.Name]bool{},
		bindsTo:       map[logicalcluster.Name]map[string]bool{},
		crds:          map[string]*apiextensionsv1.CustomResourceDefinition{},
		servedSchemas: map[string]servedSchema{},
	}
	c.exports.OnChange(func(cluster logicalcluster.Name, name string) {
		c.queue.Add(item{export: true, cluster: cluster, name: name})
	})
	c.schemas.OnChange(func(cluster logicalcluster.Name, _ string) {
		for _, e := range c.exports.List(cluster) {
			c.queue.Add(item{export: true, cluster: cluster, name: e.Name})
		}
	})
	c.bindings.OnChange(func(cluster logicalcluster.Name, _ string) { c.queue.Add(item{cluster: cluster}) })
	// A CRD created or deleted may clash with a binding, or end a clash.
	config.CRDs.Local.Watch(func(key string, _ *apiextensionsv1.CustomResourceDefinition) {
		if cluster, _ := logicalcluster.SplitKey(key); len(c.bindings.List(cluster)) > 0 {
			c.queue.Add(item{cluster: cluster})
		}
	})
	return c, nil
}

// Exports is the index of every workspace's APIExports that the controller feeds; other readers may add OnChange
// functions before Run.
func (c *Controller) Exports() *clusterwatch.Store[*apisv1alpha1.APIExport] { return c.exports }

// HasSynced reports whether the controller has seen every export, schema and binding once.
func (c *Controller) HasSynced() bool {
	return c.exports.HasSynced() && c.schemas.HasSynced() && c.bindings.HasSynced()
}

// BoundSynced reports whether every workspace's bound resources are known to the server: until then a bound
// resource may look missing to discovery.
func (c *Controller) BoundSynced() bool { return c.boundSynced.Load() }

// Lead makes this replica the one that writes: from now on decisions are also written, and every export and
// workspace with bindings is looked at again so that what was decided while following is written.
func (c *Controller) Lead() {
	c.leading.Store(true)
	for _, cluster := range c.bindings.Clusters() {
		c.queue.Add(item{cluster: cluster})
	}
	for _, cluster := range c.exports.Clusters() {
		for _, e := range c.exports.List(cluster) {
			c.queue.Add(item{export: true, cluster: cluster, name: e.Name})
		}
	}
}

// Run feeds the stores and processes items with the given number of workers until ctx ends. Every replica runs
// it; only after Lead does it write.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	const prefix = "/apis/apis.gantry.dev/v1alpha1/"
	clusterwatch.Feed(ctx, c.client, prefix+"apiexports", func() runtime.Object { return &apisv1alpha1.APIExportList{} },
		&apisv1alpha1.APIExport{}, c.exports, "apiexport-index")
	clusterwatch.Feed(ctx, c.client, prefix+"apiresourceschemas", func() runtime.Object { return &apisv1alpha1.APIResourceSchemaList{} },
		&apisv1alpha1.APIResourceSchema{}, c.schemas, "apiresourceschema-index")
	clusterwatch.Feed(ctx, c.client, prefix+"apibindings", func() runtime.Object { return &apisv1alpha1.APIBindingList{} },
		&apisv1alpha1.APIBinding{}, c.bindings, "apibinding-index")
	if !cache.WaitForCacheSync(ctx.Done(), c.HasSynced, c.config.CRDs.Local.HasSynced) {
		return
	}
	// Decide every workspace once before serving is called synced; what fails here is retried by the queue,
	// where the stores' first lists put every workspace already.
	for _, cluster := range c.bindings.Clusters() {
		if err := c.reconcileBindings(ctx, cluster); err != nil && !errors.Is(err, errWaitForIdentity) {
			klog.FromContext(ctx).Info("Deciding bindings at start failed, will retry", "workspace", cluster, "err", err)
		}
	}
	c.boundSynced.Store(true)
	workloop.Run(ctx, c.queue, workers, "apibindings", func(ctx context.Context, it item) error {
		if it.export {
			return c.reconcileExport(ctx, it.cluster, it.name)
		}
		return c.reconcileBindings(ctx, it.cluster)
	})
	<-ctx.Done()
}

// identitySecret is where an export's identity key is kept when its spec names no Secret.
func identitySecret(e *apisv1alpha1.APIExport) (ref corev1.SecretReference, generated bool) {
	if e.Spec.Identity != nil && e.Spec.Identity.SecretRef != nil {
		return *e.Spec.Identity.SecretRef, false
	}
	return corev1.SecretReference{Namespace: SystemNamespace, Name: e.Name + "-identity"}, true
}

// SystemNamespace holds what the server creates for a workspace's exports.
const SystemNamespace = "gantry-system"

// servedSchema is the schema a resource of an export is served with, and the generation its CRD was given.
type servedSchema struct {
	uid        types.UID
	generation int64
}
