package server

import (
	"context"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/rest"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/apibinding"
	"github.com/gantry-dev/gantry/pkg/authorization"
	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/customresources"
	"github.com/gantry-dev/gantry/pkg/garbagecollector"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/namespace"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/workspace"
	"github.com/gantry-dev/gantry/pkg/workspacetype"
)

// indexes are the in-memory views of etcd that requests are decided by: workspace paths, RBAC, namespaces,
// ServiceAccounts, WorkspaceTypes and served CRDs. Each follows one wildcard watch.
type indexes struct {
	workspaces      *workspace.Index
	rbac            *authorization.RBAC
	namespaces      *clusterwatch.Store[*corev1.Namespace]
	serviceAccounts *clusterwatch.Store[*corev1.ServiceAccount]
	workspaceTypes  *clusterwatch.Store[*tenancyv1alpha1.WorkspaceType]
	crds            *crdset.Set
}

func newIndexes() *indexes {
	crds := crdset.NewSet()
	return &indexes{
		workspaces:      workspace.NewIndex(),
		rbac:            &authorization.RBAC{Index: authorization.NewRBACIndex(), CRDs: crds},
		namespaces:      clusterwatch.NewStore[*corev1.Namespace](),
		serviceAccounts: clusterwatch.NewStore[*corev1.ServiceAccount](),
		workspaceTypes:  clusterwatch.NewStore[*tenancyv1alpha1.WorkspaceType](),
		crds:            crds,
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
	clusterwatch.Feed(ctx, coreClient, "/api/v1/namespaces", func() runtime.Object { return &corev1.NamespaceList{} },
		&corev1.Namespace{}, x.namespaces, "namespace-index")
	clusterwatch.Feed(ctx, coreClient, "/api/v1/serviceaccounts", func() runtime.Object { return &corev1.ServiceAccountList{} },
		&corev1.ServiceAccount{}, x.serviceAccounts, "serviceaccount-index")
	clusterwatch.Feed(ctx, tenancyClient, "/apis/tenancy.gantry.dev/v1alpha1/workspacetypes",
		func() runtime.Object { return &tenancyv1alpha1.WorkspaceTypeList{} }, &tenancyv1alpha1.WorkspaceType{}, x.workspaceTypes, "workspacetype-index")
	return nil
}

// newWorkspaceTypes resolves the type of a workspace from the WorkspaceType index, reading through loopback what
// the index does not hold yet.
func newWorkspaceTypes(config *genericapiserver.Config, x *indexes) (*workspacetype.Resolver, error) {
	tenancyClient, err := clusterwatch.LoopbackClient(config.LoopbackClientConfig, tenancyv1alpha1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return nil, err
	}
	return &workspacetype.Resolver{
		Types:      x.workspaceTypes,
		Workspaces: x.workspaces,
		Lookup: func(ctx context.Context, cluster logicalcluster.Name, name string) (*tenancyv1alpha1.WorkspaceType, error) {
			t := &tenancyv1alpha1.WorkspaceType{}
			return t, tenancyClient.Get().AbsPath("/clusters/" + string(cluster) + "/apis/tenancy.gantry.dev/v1alpha1/workspacetypes/" + name).Do(ctx).Into(t)
		},
	}, nil
}

// controllers are the server's controllers; each serves every workspace from wildcard watches.
type controllers struct {
	workspaces *workspace.Controller
	crds       *customresources.Controller
	namespaces *namespace.Controller
	collector  *garbagecollector.Collector
	bindings   *apibinding.Controller
}

// controllerDeps is what the controllers are built from.
type controllerDeps struct {
	config      *genericapiserver.Config
	indexes     *indexes
	eraser      *clusterstore.Eraser
	types       *workspacetype.Resolver
	crServer    *customresources.Server
	etcd        *clientv3.Client
	storageRoot string
	externalURL string
}

func newControllers(d controllerDeps) (*controllers, error) {
	x, loopback := d.indexes, d.config.LoopbackClientConfig
	c := &controllers{}
	var err error
	if c.bindings, err = apibinding.NewController(apibinding.Config{Loopback: loopback, Workspaces: x.workspaces,
		CRDs: x.crds, Eraser: d.eraser, ExternalURL: d.externalURL, ReservedGroups: registry.ServedGroups()}); err != nil {
		return nil, err
	}
	if c.crds, err = customresources.NewController(loopback, x.crds.Local, d.crServer, d.eraser); err != nil {
		return nil, err
	}
	defaultBindings := func(ctx context.Context, parent logicalcluster.Name, typeName string) ([]tenancyv1alpha1.APIExportReference, error) {
		def, err := d.types.Resolve(ctx, parent, typeName)
		if err != nil {
			return nil, err
		}
		return def.Spec.DefaultAPIBindings, nil
	}
	if c.workspaces, err = workspace.NewController(loopback, x.workspaces, d.eraser, d.externalURL, defaultBindings); err != nil {
		return nil, err
	}
	// Serving counts as synced once every workspace's paths, CRDs and bindings are known: until then a resource
	// may look missing to discovery, and the namespace controller and the collector would act on that.
	servingSynced := func() bool { return x.workspaces.HasSynced() && x.crds.Local.HasSynced() && c.bindings.ServedSynced() }
	c.namespaces = namespace.NewController(x.namespaces, loopback, servingSynced)
	c.collector = garbagecollector.New(garbagecollector.Config{Etcd: d.etcd, Prefix: d.storageRoot + "/", Loopback: loopback,
		ServingSynced: servingSynced})
	return c, nil
}

// run starts every controller.
func (c *controllers) run(ctx context.Context, workspaceWorkers int) {
	go c.workspaces.Run(ctx, workspaceWorkers)
	go c.crds.Run(ctx, 2)
	go c.namespaces.Run(ctx, 2)
	go c.collector.Run(ctx, 2)
	go c.bindings.Run(ctx, 2)
}
