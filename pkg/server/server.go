package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/klog/v2"

	gantryadmission "github.com/gantry-dev/gantry/pkg/admission"
	"github.com/gantry-dev/gantry/pkg/admissionpolicy"
	"github.com/gantry-dev/gantry/pkg/admissionwebhook"
	"github.com/gantry-dev/gantry/pkg/apidiscovery"
	"github.com/gantry-dev/gantry/pkg/authorization"
	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/customresources"
	"github.com/gantry-dev/gantry/pkg/etcd"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/pki"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/routing"
	"github.com/gantry-dev/gantry/pkg/serviceaccount"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
	"github.com/gantry-dev/gantry/pkg/workspacemetrics"
	"github.com/gantry-dev/gantry/pkg/workspacetype"
	"github.com/gantry-dev/gantry/sdk"
)

// Run starts Gantry and serves until ctx ends, then shuts down cleanly: it starts the embedded etcd unless
// external servers are given, builds the server (New) and runs it.
func Run(ctx context.Context, o *Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	dataDir, err := o.absDataDir()
	if err != nil {
		return err
	}
	endpoints := o.EtcdServers
	if len(endpoints) == 0 {
		embedded, err := etcd.Start(ctx, etcd.Config{Dir: filepath.Join(dataDir, "etcd")})
		if err != nil {
			return err
		}
		defer embedded.Close()
		endpoints = embedded.Endpoints
	}
	s, err := New(o, endpoints)
	if err != nil {
		return err
	}
	defer s.etcd.Close()
	return s.Run(ctx)
}

// Server is a built Gantry server: the generic API server with every component wired, not yet running.
type Server struct {
	options     *Options
	files       pki.Files
	externalURL string
	generic     *genericapiserver.GenericAPIServer
	etcd        *clientv3.Client
	indexes     *indexes
	controllers *controllers
	// clients makes the server's privileged clients of any workspace.
	clients *sdk.Client
	// shutdown ends when the generic server is told to stop serving; long-running requests end with it.
	shutdown     context.Context
	shutdownDone context.CancelFunc
}

// New builds the server on the given etcd endpoints. Components are built in dependency order: the indexes
// that follow etcd, storage, the serving parts (custom resources, discovery, virtual workspaces), admission,
// the controllers, and finally the generic API server with its handler chain.
func New(o *Options, endpoints []string) (*Server, error) {
	dataDir, err := o.absDataDir()
	if err != nil {
		return nil, err
	}
	s := &Server{options: o, externalURL: o.externalURL()}
	s.shutdown, s.shutdownDone = context.WithCancel(context.Background())
	pkiDir, err := o.absPKIDir()
	if err != nil {
		return nil, err
	}
	if s.files, err = pki.Ensure(pkiDir, filepath.Join(dataDir, "admin.kubeconfig"), o.host(), s.externalURL+"/clusters/root"); err != nil {
		return nil, err
	}
	signingKey, err := pki.ServiceAccountSigningKey(s.files)
	if err != nil {
		return nil, err
	}
	s.indexes = newIndexes()
	tokens := &serviceaccount.Tokens{Key: signingKey, Accounts: s.indexes.serviceAccounts}
	config, err := newGenericConfig(o, s.files, s.indexes.rbac, tokens)
	if err != nil {
		return nil, err
	}
	getter := &clusterstore.RESTOptionsGetter{Storage: *storagebackend.NewDefaultConfig("/registry", nil), Codec: registry.StorageCodec}
	getter.Storage.Transport.ServerList = endpoints
	if err := addEtcdChecks(config, getter.Storage); err != nil {
		return nil, err
	}
	if s.etcd, err = clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 10 * time.Second}); err != nil {
		return nil, err
	}
	if err := s.build(config, getter, tokens); err != nil {
		s.etcd.Close()
		return nil, err
	}
	return s, nil
}

// build wires the components into config and creates the generic API server.
func (s *Server) build(config *genericapiserver.Config, getter *clusterstore.RESTOptionsGetter, tokens *serviceaccount.Tokens) error {
	x := s.indexes
	// Each workspace's own figures, at /clusters/<path>/metrics: the server's /metrics has no workspace label.
	requests := &workspacemetrics.Requests{}
	eraser := &clusterstore.Eraser{Client: s.etcd, Getter: getter, Extra: x.crds.StoragePrefixes, Erased: requests.Forget}
	perWorkspace := &workspacemetrics.Handler{Requests: requests, Serializer: registry.Codecs,
		Objects: &workspacemetrics.Objects{Client: s.etcd, Root: getter.Storage.Prefix, Prefixes: eraser.Prefixes}}
	// One factory of privileged clients for every workspace, sharing one connection pool, for every component.
	clients, err := sdk.New(config.LoopbackClientConfig)
	if err != nil {
		return err
	}
	s.clients = clients
	types := newWorkspaceTypes(x, clients)
	workspaceAuthz := config.Authorization.Authorizer
	admit, err := newAdmission(x, clients, types, workspaceAuthz, s.options.Admission)
	if err != nil {
		return err
	}
	config.AdmissionControl = admit
	crServer, err := customresources.NewServer(customresources.Config{
		CRDs: x.crds, Storage: getter, Authorizer: nil, Admission: admit, ReservedGroups: registry.ServedGroups(),
		StaticSchemas: apimachinerySchemas("#/components/schemas/"), MaxRequestBodyBytes: config.MaxRequestBodyBytes,
		MinRequestTimeout: time.Duration(config.MinRequestTimeout) * time.Second,
	})
	if err != nil {
		return err
	}
	discovery := apidiscovery.New(apidiscovery.Config{CRDs: x.crds, ReservedGroups: registry.ServedGroups(),
		StaticSchemas: crServer.StaticSchemas, StaticDefinitionsV2: apimachineryDefinitionsV2()})
	virtual := virtualworkspace.NewRegistry(crServer, discovery, virtualworkspace.APIExport(x.crds),
		virtualworkspace.Syncer(x.crds, x.syncTargets, x.workspaces))
	// Requests the routing filter refused reach its answer; virtual workspace requests are decided by their
	// definition's verb on their object, before the wildcard guard; every decision is recorded with its workspace.
	config.Authorization.Authorizer = routing.WithRefusalAuthorizer(authorization.WithWorkspaceAudit(
		virtual.Authorizer(authorization.WithWildcardGuard(workspaceAuthz), workspaceAuthz)))
	crServer.Authorizer = config.Authorization.Authorizer
	config.BuildHandlerChainFunc = func(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
		inner := routing.WithUnknownWorkspace(perWorkspace.Wrap(virtual.Wrap(discovery.Wrap(crServer.Wrap(apiHandler)))), registry.Codecs)
		inner = endLongRunningAtShutdown(inner, c.LongRunningFunc, s.shutdown)
		chain := requests.WithCounting(genericapiserver.DefaultBuildHandlerChain(inner, c))
		return routing.WithClusterRouting(chain, x.workspaces, virtual, registry.Codecs)
	}
	caBundle, err := os.ReadFile(s.files.CACert)
	if err != nil {
		return err
	}
	if s.controllers, err = newControllers(controllerDeps{config: config, clients: clients, indexes: x, eraser: eraser, types: types, crServer: crServer, caBundle: caBundle,
		etcd: s.etcd, storageRoot: getter.Storage.Prefix, externalURL: s.externalURL, syncTargetLease: s.options.SyncTargetLease,
		authorizer: workspaceAuthz, servingProvider: s.options.ServingProvider}); err != nil {
		return err
	}
	generic, err := config.Complete(nil).New("gantry", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return err
	}
	generic.RegisterDestroyFunc(crServer.Destroy)
	if err := installAPIs(generic, getter, config, x, tokens, virtual); err != nil {
		return err
	}
	s.generic = generic
	return nil
}

// installAPIs installs the typed built-in and Gantry API groups, and hands virtual the storage of the built-in
// resources a SyncTarget may carry (all of the core group).
func installAPIs(generic *genericapiserver.GenericAPIServer, getter *clusterstore.RESTOptionsGetter, config *genericapiserver.Config,
	x *indexes, tokens *serviceaccount.Tokens, virtual *virtualworkspace.Registry) error {
	legacy, groups, err := registry.APIGroups(getter, &authorization.Escalation{RBAC: x.rbac}, tokens, registry.Workspaces,
		registry.WorkspaceTypes, registry.APIs, registry.Compute, registry.AdmissionPolicies, registry.AdmissionWebhooks, registry.AccessReviews(config.Authorization.Authorizer, x.rbac))
	if err != nil {
		return err
	}
	if err := generic.InstallLegacyAPIGroup(genericapiserver.DefaultLegacyAPIPrefix, legacy); err != nil {
		return err
	}
	// Installing built the group's OpenAPI models: the virtual workspaces manage fields with the same types.
	types, err := managedfields.NewTypeConverter(legacy.StaticOpenAPISpec, false)
	if err != nil {
		return err
	}
	syncable := map[schema.GroupVersionResource]rest.Storage{}
	for _, gvr := range virtualworkspace.SyncableBuiltins {
		syncable[gvr] = legacy.VersionedResourcesStorageMap[gvr.Version][gvr.Resource]
	}
	// The syncer writes events about the objects placed on its target (EventWrites).
	events := virtualworkspace.EventsResource
	syncable[events] = legacy.VersionedResourcesStorageMap[events.Version][events.Resource]
	if err := virtual.SetBuiltins(syncable, types); err != nil {
		return err
	}
	crds, err := registry.APIExtensionsGroup(getter)
	if err != nil {
		return err
	}
	return generic.InstallAPIGroups(append(groups, crds)...)
}

// newAdmission is the one admission chain every resource goes through: built-in, CRDs' and bound ones.
func newAdmission(x *indexes, clients *sdk.Client, types *workspacetype.Resolver, workspaceAuthz authorizer.Authorizer, extra []admission.Interface) (admission.Interface, error) {
	plugins := []admission.Interface{
		&gantryadmission.NamespaceExists{Namespaces: x.namespaces, Clients: clients},
		&gantryadmission.WorkspaceTypes{Resolver: types, Authorizer: workspaceAuthz},
		&gantryadmission.APIBindings{Workspaces: x.workspaces, Authorizer: workspaceAuthz},
		&gantryadmission.Placements{Workspaces: x.workspaces, Targets: x.syncTargets, Authorizer: workspaceAuthz},
		&gantryadmission.StateLabels{Namespaces: x.namespaces, CRDs: x.crds},
		gantryadmission.ServingChanges{},
		&gantryadmission.ServingRefs{Reader: gantryadmission.ClientServingReader{Clients: clients}},
		// Each workspace's own admission policies and webhooks, last, in kube-apiserver's order (MutatingAdmissionPolicy,
		// MutatingAdmissionWebhook, ValidatingAdmissionPolicy, ValidatingAdmissionWebhook) after its built-in plugins.
		admissionpolicy.NewMutatingPlugin(admissionpolicy.NewMutatingSource(x.mutatingPolicies, x.mutatingPolicyBindings, x.namespaces, clients, workspaceAuthz)),
		admissionwebhook.NewMutatingPlugin(admissionwebhook.NewMutatingSource(x.mutatingWebhooks, x.namespaces, clients, workspaceAuthz)),
		admissionpolicy.NewValidatingPlugin(admissionpolicy.NewValidatingSource(x.policies, x.policyBindings, x.namespaces, clients, workspaceAuthz)),
		admissionwebhook.NewValidatingPlugin(admissionwebhook.NewValidatingSource(x.validatingWebhooks, x.namespaces, clients, workspaceAuthz)),
	}
	return reinvoking(admission.NewChainHandler(append(plugins, extra...)...))
}

// chainName is the name the admission chain is registered under, to be built by upstream's plugin registry.
const chainName = "gantry"

// reinvoking wraps chain in upstream's reinvocation handler, which runs the mutating phase a second time when a
// mutating webhook or policy with reinvocationPolicy IfNeeded ran and a later plugin changed the object, as
// kube-apiserver does. Upstream's registry is the only way to that handler.
func reinvoking(chain admission.Interface) (admission.Interface, error) {
	plugins := admission.NewPlugins()
	plugins.Register(chainName, func(io.Reader) (admission.Interface, error) { return chain, nil })
	return plugins.NewFromPlugins([]string{chainName}, noAdmissionConfig{}, admission.PluginInitializers{}, nil)
}

// noAdmissionConfig gives the chain no configuration file.
type noAdmissionConfig struct{}

// ConfigFor implements admission.ConfigProvider.
func (noAdmissionConfig) ConfigFor(string) (io.Reader, error) { return nil, nil }

// Run starts the generic API server, the index feeds and the controllers, and serves until ctx ends. Every
// replica feeds its indexes and serves; the controllers run on the one elected. A replica that loses the election
// after winning it stops, and Run returns why.
func (s *Server) Run(ctx context.Context) error {
	x, c := s.indexes, s.controllers
	synced := []namedSync{{"workspace-index", x.workspaces.HasSynced}, {"crd-index", x.crds.Local.HasSynced},
		{"rbac-index", x.rbac.Index.HasSynced}, {"namespace-index", x.namespaces.HasSynced},
		{"serviceaccount-index", x.serviceAccounts.HasSynced}, {"workspacetype-index", x.workspaceTypes.HasSynced},
		{"synctarget-index", x.syncTargets.HasSynced}, {"admissionpolicy-index", x.policies.HasSynced},
		{"admissionpolicybinding-index", x.policyBindings.HasSynced},
		{"mutatingadmissionpolicy-index", x.mutatingPolicies.HasSynced},
		{"mutatingadmissionpolicybinding-index", x.mutatingPolicyBindings.HasSynced},
		{"validatingwebhook-index", x.validatingWebhooks.HasSynced}, {"mutatingwebhook-index", x.mutatingWebhooks.HasSynced},
		{"garbage-collector", c.collectorSynced}, {"apibindings", c.bindings.BoundSynced}}
	if err := s.generic.AddReadyzChecks(syncedChecks(synced)...); err != nil {
		return err
	}
	if err := addCRDsSyncedHook(s.generic, x.crds.Local.HasSynced, c.bindings.BoundSynced); err != nil {
		return err
	}
	// Serving outlives the election: on shutdown the Lease is released first, through this very server, so that
	// another replica takes over at once instead of after the lease duration.
	serveCtx, stopServing := context.WithCancelCause(context.WithoutCancel(ctx))
	defer stopServing(nil)
	elected := make(chan struct{})
	go func() {
		<-ctx.Done()
		select {
		case <-elected:
		case <-time.After(5 * time.Second):
		}
		stopServing(nil)
	}()
	s.generic.AddPostStartHookOrDie("gantry-workspaces", func(hook genericapiserver.PostStartHookContext) error {
		if err := x.feed(hook, hook.LoopbackClientConfig); err != nil {
			return err
		}
		c.follow(hook)
		go func() {
			defer close(elected)
			if err := s.elect(ctx, func(ctx context.Context) { c.lead(ctx, s.options.Workers) }, c.observeLeader); err != nil {
				stopServing(err)
			}
		}()
		return s.ready(hook)
	})
	// Open watches must not hold up the HTTP server's graceful shutdown (endLongRunningAtShutdown).
	stopWatches := context.AfterFunc(serveCtx, s.shutdownDone)
	defer stopWatches()
	err := s.generic.PrepareRun().RunWithContext(serveCtx)
	if cause := context.Cause(serveCtx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

// ready creates the root workspace's default namespace and says how to reach the server.
func (s *Server) ready(ctx context.Context) error {
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := s.controllers.workspaces.EnsureDefaultNamespace(ctx, logicalcluster.Root); err != nil {
			klog.FromContext(ctx).V(2).Info("Waiting to create the root workspace's default namespace", "err", err)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("creating the root workspace's default namespace: %w", err)
	}
	fmt.Fprintf(os.Stderr, "\nGantry is ready at %s/clusters/root\nPoint kubectl at it with:\n\n  export KUBECONFIG=%s\n  kubectl get namespaces\n\n",
		s.externalURL, s.files.AdminKubeconfig)
	return nil
}
