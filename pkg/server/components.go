package server

import (
	"context"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/rest"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/admissionpolicy"
	"github.com/gantry-dev/gantry/pkg/apibinding"
	"github.com/gantry-dev/gantry/pkg/authorization"
	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/customresources"
	"github.com/gantry-dev/gantry/pkg/garbagecollector"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/namespace"
	"github.com/gantry-dev/gantry/pkg/namespacedefaults"
	"github.com/gantry-dev/gantry/pkg/placement"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/serviceaccount"
	"github.com/gantry-dev/gantry/pkg/servinghistory"
	"github.com/gantry-dev/gantry/pkg/servingprovider"
	"github.com/gantry-dev/gantry/pkg/statusaggregate"
	"github.com/gantry-dev/gantry/pkg/synctarget"
	"github.com/gantry-dev/gantry/pkg/workspace"
	"github.com/gantry-dev/gantry/pkg/workspacetype"
	"github.com/gantry-dev/gantry/sdk"
)

// indexes are the in-memory views of etcd that requests are decided by: workspace paths, RBAC, namespaces,
// ServiceAccounts, WorkspaceTypes, SyncTargets and served CRDs. Each follows one wildcard watch.
type indexes struct {
	workspaces      *workspace.Index
	rbac            *authorization.RBAC
	namespaces      *clusterwatch.Store[*corev1.Namespace]
	serviceAccounts *clusterwatch.Store[*corev1.ServiceAccount]
	workspaceTypes  *clusterwatch.Store[*tenancyv1alpha1.WorkspaceType]
	syncTargets     *clusterwatch.Store[*computev1alpha1.SyncTarget]
	crds            *crdset.Set
	// policies and policyBindings are every workspace's ValidatingAdmissionPolicies and their bindings.
	policies       *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicy]
	policyBindings *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicyBinding]
	// mutatingPolicies and mutatingPolicyBindings are every workspace's MutatingAdmissionPolicies and their bindings.
	mutatingPolicies       *clusterwatch.Store[*admissionregistrationv1.MutatingAdmissionPolicy]
	mutatingPolicyBindings *clusterwatch.Store[*admissionregistrationv1.MutatingAdmissionPolicyBinding]
	// validatingWebhooks and mutatingWebhooks are every workspace's webhook configurations.
	validatingWebhooks *clusterwatch.Store[*admissionregistrationv1.ValidatingWebhookConfiguration]
	mutatingWebhooks   *clusterwatch.Store[*admissionregistrationv1.MutatingWebhookConfiguration]
}

func newIndexes() *indexes {
	crds := crdset.NewSet()
	return &indexes{
		workspaces:             workspace.NewIndex(),
		rbac:                   &authorization.RBAC{Index: authorization.NewRBACIndex(), CRDs: crds},
		namespaces:             clusterwatch.NewStore[*corev1.Namespace](),
		serviceAccounts:        clusterwatch.NewStore[*corev1.ServiceAccount]().Slim(serviceaccount.Identity),
		workspaceTypes:         clusterwatch.NewStore[*tenancyv1alpha1.WorkspaceType](),
		syncTargets:            clusterwatch.NewStore[*computev1alpha1.SyncTarget](),
		crds:                   crds,
		policies:               clusterwatch.NewStore[*admissionregistrationv1.ValidatingAdmissionPolicy](),
		policyBindings:         clusterwatch.NewStore[*admissionregistrationv1.ValidatingAdmissionPolicyBinding](),
		mutatingPolicies:       clusterwatch.NewStore[*admissionregistrationv1.MutatingAdmissionPolicy](),
		mutatingPolicyBindings: clusterwatch.NewStore[*admissionregistrationv1.MutatingAdmissionPolicyBinding](),
		validatingWebhooks:     clusterwatch.NewStore[*admissionregistrationv1.ValidatingWebhookConfiguration](),
		mutatingWebhooks:       clusterwatch.NewStore[*admissionregistrationv1.MutatingWebhookConfiguration](),
	}
}

// feed starts the watches of the indexes that no controller feeds.
func (x *indexes) feed(ctx context.Context, loopback *rest.Config) error {
	if err := x.rbac.Index.Run(ctx, loopback); err != nil {
		return err
	}
	coreClient, err := clusterwatch.LoopbackClient(loopback, corev1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return err
	}
	tenancyClient, err := clusterwatch.LoopbackClient(loopback, tenancyv1alpha1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return err
	}
	computeClient, err := clusterwatch.LoopbackClient(loopback, computev1alpha1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return err
	}
	admissionClient, err := clusterwatch.LoopbackClient(loopback, admissionregistrationv1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return err
	}
	clusterwatch.Feed(ctx, admissionClient, "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies",
		func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyList{} }, &admissionregistrationv1.ValidatingAdmissionPolicy{},
		x.policies, "admissionpolicy-index")
	clusterwatch.Feed(ctx, admissionClient, "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings",
		func() runtime.Object { return &admissionregistrationv1.ValidatingAdmissionPolicyBindingList{} },
		&admissionregistrationv1.ValidatingAdmissionPolicyBinding{}, x.policyBindings, "admissionpolicybinding-index")
	clusterwatch.Feed(ctx, admissionClient, "/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicies",
		func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyList{} }, &admissionregistrationv1.MutatingAdmissionPolicy{},
		x.mutatingPolicies, "mutatingadmissionpolicy-index")
	clusterwatch.Feed(ctx, admissionClient, "/apis/admissionregistration.k8s.io/v1/mutatingadmissionpolicybindings",
		func() runtime.Object { return &admissionregistrationv1.MutatingAdmissionPolicyBindingList{} },
		&admissionregistrationv1.MutatingAdmissionPolicyBinding{}, x.mutatingPolicyBindings, "mutatingadmissionpolicybinding-index")
	clusterwatch.Feed(ctx, admissionClient, "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
		func() runtime.Object { return &admissionregistrationv1.ValidatingWebhookConfigurationList{} },
		&admissionregistrationv1.ValidatingWebhookConfiguration{}, x.validatingWebhooks, "validatingwebhook-index")
	clusterwatch.Feed(ctx, admissionClient, "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
		func() runtime.Object { return &admissionregistrationv1.MutatingWebhookConfigurationList{} },
		&admissionregistrationv1.MutatingWebhookConfiguration{}, x.mutatingWebhooks, "mutatingwebhook-index")
	clusterwatch.Feed(ctx, coreClient, "/api/v1/namespaces", func() runtime.Object { return &corev1.NamespaceList{} },
		&corev1.Namespace{}, x.namespaces, "namespace-index")
	clusterwatch.Feed(ctx, coreClient, "/api/v1/serviceaccounts", func() runtime.Object { return &corev1.ServiceAccountList{} },
		&corev1.ServiceAccount{}, x.serviceAccounts, "serviceaccount-index")
	clusterwatch.Feed(ctx, tenancyClient, "/apis/tenancy.gantry.dev/v1alpha1/workspacetypes",
		func() runtime.Object { return &tenancyv1alpha1.WorkspaceTypeList{} }, &tenancyv1alpha1.WorkspaceType{}, x.workspaceTypes, "workspacetype-index")
	clusterwatch.Feed(ctx, computeClient, "/apis/compute.gantry.dev/v1alpha1/synctargets",
		func() runtime.Object { return &computev1alpha1.SyncTargetList{} }, &computev1alpha1.SyncTarget{}, x.syncTargets, "synctarget-index")
	return nil
}

// newWorkspaceTypes resolves the type of a workspace from the WorkspaceType index, reading from the server what
// the index does not hold yet.
func newWorkspaceTypes(x *indexes, clients *sdk.Client) *workspacetype.Resolver {
	return &workspacetype.Resolver{
		Types:      x.workspaceTypes,
		Workspaces: x.workspaces,
		Lookup: func(ctx context.Context, cluster logicalcluster.Name, name string) (*tenancyv1alpha1.WorkspaceType, error) {
			c, err := clients.Gantry(string(cluster))
			if err != nil {
				return nil, err
			}
			return c.TenancyV1alpha1().WorkspaceTypes().Get(ctx, name, metav1.GetOptions{})
		},
	}
}

// controllers are the server's controllers; each serves every workspace from wildcard watches. Every replica
// feeds their indexes and decides what bindings serve; only the elected one reconciles.
type controllers struct {
	workspaces *workspace.Controller
	crds       *customresources.Controller
	namespaces *namespace.Controller
	// namespaceDefaults keeps the default ServiceAccount and kube-root-ca.crt in every namespace.
	namespaceDefaults *namespacedefaults.Controller
	collector         *garbagecollector.Collector
	bindings          *apibinding.Controller
	targets           *synctarget.Controller
	placements        *placement.Controller
	// statusAggregate writes the status of objects placed on several SyncTargets from their per-cluster views.
	statusAggregate *statusaggregate.Controller
	// provider publishes the serving API in root:serving; nil with --serving-provider=false.
	provider *servingprovider.Controller
	// history records the revisions of every InferenceService; nil with --serving-provider=false.
	history *servinghistory.Controller
	// policyStatus writes the type-checking status of every workspace's ValidatingAdmissionPolicies.
	policyStatus *admissionpolicy.StatusController

	// leading is set once this replica runs the reconcilers.
	leading atomic.Bool
	// otherLeads is set once the election named another replica: until then a replica does not know whether it
	// will run the collector, so it cannot say it is ready.
	otherLeads atomic.Bool
	// wasReady latches the collector's part of readiness: a follower promoted later keeps serving while its
	// collector reads the graph, instead of leaving the load balancer at the moment the other replica died.
	wasReady atomic.Bool
}

// controllerDeps is what the controllers are built from.
type controllerDeps struct {
	config      *genericapiserver.Config
	clients     *sdk.Client
	indexes     *indexes
	eraser      *clusterstore.Eraser
	types       *workspacetype.Resolver
	crServer    *customresources.Server
	etcd        *clientv3.Client
	storageRoot string
	externalURL string
	// syncTargetLease is how long a SyncTarget stays Ready after a heartbeat.
	syncTargetLease time.Duration
	// authorizer decides in a workspace named by the context (RBAC), for "use" checks.
	authorizer authorizer.Authorizer
	// caBundle is the PEM of the CA the serving certificate is verified with, for kube-root-ca.crt.
	caBundle []byte
	// servingProvider runs the serving provider (--serving-provider).
	servingProvider bool
}

func newControllers(d controllerDeps) (*controllers, error) {
	x, loopback := d.indexes, d.config.LoopbackClientConfig
	c := &controllers{}
	var err error
	if c.bindings, err = apibinding.NewController(apibinding.Config{Loopback: loopback, Clients: d.clients, Workspaces: x.workspaces,
		CRDs: x.crds, Eraser: d.eraser, ExternalURL: d.externalURL, ReservedGroups: registry.ServedGroups()}); err != nil {
		return nil, err
	}
	if c.crds, err = customresources.NewController(loopback, d.clients, x.crds.Local, d.crServer, d.eraser); err != nil {
		return nil, err
	}
	defaultBindings := func(ctx context.Context, parent logicalcluster.Name, typeName string) ([]tenancyv1alpha1.APIExportReference, error) {
		def, err := d.types.Resolve(ctx, parent, typeName)
		if err != nil {
			return nil, err
		}
		return def.Spec.DefaultAPIBindings, nil
	}
	if c.workspaces, err = workspace.NewController(loopback, d.clients, x.workspaces, d.eraser, d.externalURL, defaultBindings); err != nil {
		return nil, err
	}
	c.workspaces.SetDefaultPolicies(func(ctx context.Context, parent logicalcluster.Name, typeName string) ([]tenancyv1alpha1.DefaultAdmissionPolicy, error) {
		def, err := d.types.Resolve(ctx, parent, typeName)
		if err != nil {
			return nil, err
		}
		return def.Spec.DefaultAdmissionPolicies, nil
	})
	// Serving counts as synced once every workspace's paths, CRDs and bindings are known: until then a resource
	// may look missing to discovery, and the namespace controller and the collector would act on that.
	servingSynced := func() bool { return x.workspaces.HasSynced() && x.crds.Local.HasSynced() && c.bindings.BoundSynced() }
	c.namespaces = namespace.NewController(x.namespaces, d.clients, servingSynced)
	if c.namespaceDefaults, err = namespacedefaults.NewController(namespacedefaults.Config{Loopback: loopback, Clients: d.clients,
		Namespaces: x.namespaces, ServiceAccounts: x.serviceAccounts, Workspaces: x.workspaces, CABundle: d.caBundle}); err != nil {
		return nil, err
	}
	c.targets = synctarget.NewController(synctarget.Config{Targets: x.syncTargets, Clients: d.clients, Workspaces: x.workspaces,
		Exports:     c.bindings.Exports(),
		ExternalURL: d.externalURL, Lease: d.syncTargetLease})
	if c.placements, err = placement.NewController(placement.Config{Loopback: loopback, Clients: d.clients, Workspaces: x.workspaces,
		Targets: x.syncTargets, Namespaces: x.namespaces, CRDs: x.crds, Authorizer: d.authorizer}); err != nil {
		return nil, err
	}
	c.statusAggregate = statusaggregate.NewController(statusaggregate.Config{Clients: d.clients, Workspaces: x.workspaces,
		Targets: x.syncTargets, Exports: c.bindings.Exports(), CRDs: x.crds})
	if d.servingProvider {
		c.provider = servingprovider.NewController(d.clients)
		if c.history, err = servinghistory.NewController(servinghistory.Config{Clients: d.clients,
			ExportPath: servingprovider.Path, ExportName: servingprovider.ExportName}); err != nil {
			return nil, err
		}
	}
	c.policyStatus = admissionpolicy.NewStatusController(x.policies, d.clients)
	c.collector = garbagecollector.New(garbagecollector.Config{Etcd: d.etcd, Prefix: d.storageRoot + "/", Clients: d.clients,
		ServingSynced: servingSynced})
	return c, nil
}

// follow starts what every replica runs: the watches that feed the workspace and CRD indexes, and the binding
// controller, which decides what each workspace serves (it writes only once it leads).
func (c *controllers) follow(ctx context.Context) {
	c.workspaces.Feed(ctx)
	c.crds.Feed(ctx)
	go c.bindings.Run(ctx, 2)
}

// lead starts the reconcilers, on the elected replica only.
func (c *controllers) lead(ctx context.Context, workspaceWorkers int) {
	c.leading.Store(true)
	c.bindings.Lead()
	go c.workspaces.Run(ctx, workspaceWorkers)
	go c.crds.Run(ctx, 2)
	go c.namespaces.Run(ctx, 2)
	c.namespaceDefaults.Feed(ctx)
	go c.namespaceDefaults.Run(ctx, 2)
	go c.collector.Run(ctx, 2)
	go c.targets.Run(ctx, 2)
	go c.placements.Run(ctx, 2)
	go c.statusAggregate.Run(ctx, 2)
	go c.policyStatus.Run(ctx, 2)
	if c.provider != nil {
		go c.provider.Run(ctx)
		go c.history.Run(ctx, 2)
	}
}

// collectorSynced reports whether the garbage collector has read the graph once, where it runs. A follower, which
// does not run it, is held back only until it knows that another replica leads; a replica that was ready once stays
// so (see wasReady).
func (c *controllers) collectorSynced() bool {
	if c.wasReady.Load() {
		return true
	}
	ready := c.collector.HasSynced() && c.leading.Load() || !c.leading.Load() && c.otherLeads.Load()
	if ready {
		c.wasReady.Store(true)
	}
	return ready
}

// observeLeader records who the election named: a replica that sees another leader is a follower.
func (c *controllers) observeLeader(holder, self string) {
	if holder != self {
		c.otherLeads.Store(true)
	}
}
