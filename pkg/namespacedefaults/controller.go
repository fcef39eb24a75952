package namespacedefaults

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
)

const (
	// ServiceAccountName is the ServiceAccount every namespace has.
	ServiceAccountName = "default"
	// RootCAConfigMapName is the ConfigMap every namespace has, holding the server's CA bundle.
	RootCAConfigMapName = "kube-root-ca.crt"
	// RootCAKey is the key of the CA bundle in RootCAConfigMapName.
	RootCAKey = "ca.crt"
	// fieldManager names the controller in the managed fields of what it writes.
	fieldManager = "gantry-namespace-defaults"
	// descriptionAnnotation says what RootCAConfigMapName is for, as in Kubernetes.
	descriptionAnnotation = "kubernetes.io/description"
	// rootCADescription is the value of descriptionAnnotation, Kubernetes' wording.
	rootCADescription = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. " +
		"No other usage is guaranteed across distributions of Kubernetes clusters."
)

// Workspaces says which logical clusters belong to a workspace that exists and is not being deleted.
type Workspaces interface {
	Live(cluster logicalcluster.Name) bool
	HasSynced() bool
}

// Config is what the controller is built from.
type Config struct {
	// Loopback is the server's privileged loopback config, for the wildcard watch of kube-root-ca.crt ConfigMaps.
	Loopback *rest.Config
	// Clients writes into one workspace.
	Clients *sdk.Client
	// Namespaces and ServiceAccounts are the server's wildcard indexes; neither may be fed yet.
	Namespaces      *clusterwatch.Store[*corev1.Namespace]
	ServiceAccounts *clusterwatch.Store[*corev1.ServiceAccount]
	// Workspaces keeps the controller out of workspaces being deleted.
	Workspaces Workspaces
	// CABundle is the PEM the server's serving certificate is verified with.
	CABundle []byte
}

// Controller keeps the default ServiceAccount and kube-root-ca.crt in every namespace of every workspace.
type Controller struct {
	config Config
	// core lists and watches kube-root-ca.crt ConfigMaps in every workspace.
	core    rest.Interface
	rootCAs *clusterwatch.Store[*corev1.ConfigMap]
	queue   workqueue.TypedRateLimitingInterface[key]
	// wantData and wantAnnotations are what a kube-root-ca.crt in order holds, shared by every slim one in rootCAs:
	// nothing may change them.
	wantData, wantAnnotations map[string]string
}

// key names a namespace in a workspace.
type key struct {
	cluster   logicalcluster.Name
	namespace string
}

// NewController returns the controller; call Feed on the elected replica before Run.
func NewController(config Config) (*Controller, error) {
	core, err := clusterwatch.LoopbackClient(config.Loopback, corev1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		config:          config,
		core:            core,
		rootCAs:         clusterwatch.NewStore[*corev1.ConfigMap](),
		wantData:        map[string]string{RootCAKey: string(config.CABundle)},
		wantAnnotations: map[string]string{descriptionAnnotation: rootCADescription},
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[key](),
			workqueue.TypedRateLimitingQueueConfig[key]{Name: "namespace-defaults"}),
	}
	c.rootCAs.Slim(c.slimRootCA)
	config.Namespaces.OnChange(func(cluster logicalcluster.Name, name string) { c.queue.Add(key{cluster, name}) })
	// Objects are keyed "namespace/name": a change of one of the two named objects looks at its namespace again.
	enqueueNamed := func(name string) func(logicalcluster.Name, string) {
		return func(cluster logicalcluster.Name, storeKey string) {
			if namespace, objectName, err := cache.SplitMetaNamespaceKey(storeKey); err == nil && objectName == name {
				c.queue.Add(key{cluster, namespace})
			}
		}
	}
	config.ServiceAccounts.OnChange(enqueueNamed(ServiceAccountName))
	c.rootCAs.OnChange(enqueueNamed(RootCAConfigMapName))
	return c, nil
}

// Feed starts the wildcard watch of the kube-root-ca.crt ConfigMaps, which only this controller reads.
func (c *Controller) Feed(ctx context.Context) {
	clusterwatch.FeedNamed(ctx, c.core, "/api/v1/configmaps", RootCAConfigMapName,
		func() runtime.Object { return &corev1.ConfigMapList{} }, &corev1.ConfigMap{}, c.rootCAs, "kube-root-ca-index")
}

// Run processes namespaces with the given number of workers until ctx ends.
func (c *Controller) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	if !cache.WaitForCacheSync(ctx.Done(), c.config.Namespaces.HasSynced, c.config.ServiceAccounts.HasSynced,
		c.rootCAs.HasSynced, c.config.Workspaces.HasSynced) {
		return
	}
	workloop.Run(ctx, c.queue, workers, "namespace-defaults", c.reconcile)
	<-ctx.Done()
}

// reconcile ensures both objects in one namespace. Nothing is written in a namespace that is gone or terminating
// (the namespace controller is emptying it) or in a workspace being deleted (the workspace controller is erasing it).
func (c *Controller) reconcile(ctx context.Context, k key) error {
	ns, ok := c.config.Namespaces.Get(k.cluster, k.namespace)
	if !ok || ns.DeletionTimestamp != nil || ns.Status.Phase == corev1.NamespaceTerminating || !c.config.Workspaces.Live(k.cluster) {
		return nil
	}
	if err := c.ensureServiceAccount(ctx, k); err != nil {
		return err
	}
	return c.ensureRootCA(ctx, k)
}
