package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/bearertoken"
	unionauthn "k8s.io/apiserver/pkg/authentication/request/union"
	x509request "k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/apiserver/pkg/authentication/token/tokenfile"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	unionauthz "k8s.io/apiserver/pkg/authorization/union"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/apiserver/pkg/server/healthz"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/component-base/compatibility"
	"k8s.io/klog/v2"
	"k8s.io/kube-openapi/pkg/validation/spec"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	gantryadmission "github.com/gantry-dev/gantry/pkg/admission"
	"github.com/gantry-dev/gantry/pkg/apibinding"
	"github.com/gantry-dev/gantry/pkg/authorization"
	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/customresources"
	"github.com/gantry-dev/gantry/pkg/etcd"
	"github.com/gantry-dev/gantry/pkg/garbagecollector"
	"github.com/gantry-dev/gantry/pkg/generated/openapi"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/namespace"
	"github.com/gantry-dev/gantry/pkg/pki"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/routing"
	"github.com/gantry-dev/gantry/pkg/serviceaccount"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
	"github.com/gantry-dev/gantry/pkg/workspace"
	"github.com/gantry-dev/gantry/pkg/workspacetype"
)

// kubernetesVersion is the Kubernetes API level Gantry serves.
const kubernetesVersion = "1.37"

// Run starts Gantry and serves until ctx ends, then shuts down cleanly.
func Run(ctx context.Context, o *Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	dataDir, err := o.absDataDir()
	if err != nil {
		return err
	}
	externalURL := o.externalURL()
	files, err := pki.Ensure(dataDir, o.host(), externalURL+"/clusters/root")
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

	index := workspace.NewIndex()
	rbacIndex := authorization.NewRBACIndex()
	namespaces := clusterwatch.NewStore[*corev1.Namespace]()
	rbac := &authorization.RBAC{Index: rbacIndex}
	signingKey, err := pki.ServiceAccountSigningKey(files)
	if err != nil {
		return err
	}
	tokens := &serviceaccount.Tokens{Key: signingKey, Accounts: clusterwatch.NewStore[*corev1.ServiceAccount]()}
	config, err := newGenericConfig(o, files, rbac, tokens)
	if err != nil {
		return err
	}
	crdIndex := customresources.NewIndex()
	bound := apibinding.NewServed()
	var crServer *customresources.Server
	bindingController, err := apibinding.NewController(apibinding.Config{Loopback: config.LoopbackClientConfig, Workspaces: index,
		CRDs: crdIndex, Served: bound, ExternalURL: externalURL, ReservedGroups: registry.ServedGroups(),
		Eraser: apibinding.EraserFunc(func(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition, cluster logicalcluster.Name) error {
			return crServer.EraseBound(ctx, crd, cluster)
		})})
	if err != nil {
		return err
	}
	// Virtual workspace requests are decided by the verb "content" on their APIExport, before the wildcard guard;
	// every decision is recorded with its workspace in the audit log.
	workspaceAuthz := config.Authorization.Authorizer
	config.Authorization.Authorizer = authorization.WithWorkspaceAudit(
		virtualworkspace.WithAuthorizer(authorization.WithWildcardGuard(workspaceAuthz), workspaceAuthz, bindingController))
	getter := &clusterstore.RESTOptionsGetter{Storage: *storagebackend.NewDefaultConfig("/registry", nil), Codec: registry.StorageCodec}
	getter.Storage.Transport.ServerList = endpoints

	legacy, groups, err := registry.APIGroups(getter, &authorization.Escalation{RBAC: rbac}, tokens, registry.Workspaces,
		registry.WorkspaceTypes, registry.APIs, registry.AccessReviews(config.Authorization.Authorizer, rbac))
	if err != nil {
		return err
	}
	etcdClient, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer etcdClient.Close()
	crServer, err = customresources.NewServer(customresources.Config{
		Index:               crdIndex,
		Storage:             getter,
		Etcd:                etcdClient,
		Authorizer:          config.Authorization.Authorizer,
		ReservedGroups:      registry.ServedGroups(),
		StaticSchemas:       apimachinerySchemas(),
		MaxRequestBodyBytes: config.MaxRequestBodyBytes,
		MinRequestTimeout:   time.Duration(config.MinRequestTimeout) * time.Second,
		Bound:               bound,
		Exported:            bindingController,
	})
	if err != nil {
		return err
	}
	crdController, err := customresources.NewController(config.LoopbackClientConfig, crdIndex, crServer)
	if err != nil {
		return err
	}
	// Custom resources go first: finding them needs the workspace's CRDs, which the second eraser removes.
	eraser := workspace.Erasers{crServer, &clusterstore.Eraser{Client: etcdClient, Getter: getter}}
	config.BuildHandlerChainFunc = func(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
		inner := routing.WithUnknownWorkspace(crServer.Wrap(apiHandler), registry.Codecs)
		return routing.WithClusterRouting(genericapiserver.DefaultBuildHandlerChain(inner, c), index, registry.Codecs)
	}
	coreClient, err := clusterwatch.LoopbackClient(config.LoopbackClientConfig, corev1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return err
	}
	tenancyClient, err := clusterwatch.LoopbackClient(config.LoopbackClientConfig, tenancyv1alpha1.SchemeGroupVersion, registry.Codecs)
	if err != nil {
		return err
	}
	types := &workspacetype.Resolver{
		Types:      clusterwatch.NewStore[*tenancyv1alpha1.WorkspaceType](),
		Workspaces: index,
		Lookup: func(ctx context.Context, cluster logicalcluster.Name, name string) (*tenancyv1alpha1.WorkspaceType, error) {
			t := &tenancyv1alpha1.WorkspaceType{}
			return t, tenancyClient.Get().AbsPath("/clusters/" + string(cluster) + "/apis/tenancy.gantry.dev/v1alpha1/workspacetypes/" + name).Do(ctx).Into(t)
		},
	}
	servingSynced := func() bool { return index.HasSynced() && crdIndex.HasSynced() && bindingController.ServedSynced() }
	controller, err := workspace.NewController(config.LoopbackClientConfig, index, eraser, externalURL,
		func(ctx context.Context, parent logicalcluster.Name, typeName string) ([]tenancyv1alpha1.APIExportReference, error) {
			def, err := types.Resolve(ctx, parent, typeName)
			if err != nil {
				return nil, err
			}
			return def.Spec.DefaultAPIBindings, nil
		})
	if err != nil {
		return err
	}
	namespaceController := namespace.NewController(namespaces, config.LoopbackClientConfig, servingSynced)
	collector := garbagecollector.New(garbagecollector.Config{Etcd: etcdClient, Prefix: getter.Storage.Prefix + "/",
		Loopback: config.LoopbackClientConfig, ServingSynced: servingSynced})
	namespaceExists := &gantryadmission.NamespaceExists{Namespaces: namespaces, Client: coreClient}
	config.AdmissionControl = admission.NewChainHandler(namespaceExists,
		&gantryadmission.WorkspaceTypes{Resolver: types, Authorizer: workspaceAuthz},
		&gantryadmission.APIBindings{Workspaces: index, Authorizer: workspaceAuthz})

	crServer.Admission = namespaceExists
	server, err := config.Complete(nil).New("gantry", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return err
	}
	server.RegisterDestroyFunc(crServer.Destroy)
	if err := server.InstallLegacyAPIGroup(genericapiserver.DefaultLegacyAPIPrefix, legacy); err != nil {
		return err
	}
	crds, err := registry.APIExtensionsGroup(getter)
	if err != nil {
		return err
	}
	if err := server.InstallAPIGroups(append(groups, crds)...); err != nil {
		return err
	}

	if err := server.AddReadyzChecks(syncedCheck("workspace-index", index.HasSynced), syncedCheck("crd-index", crdIndex.HasSynced),
		syncedCheck("rbac-index", rbacIndex.HasSynced), syncedCheck("namespace-index", namespaces.HasSynced),
		syncedCheck("serviceaccount-index", tokens.Accounts.HasSynced), syncedCheck("workspacetype-index", types.Types.HasSynced),
		syncedCheck("garbage-collector", collector.HasSynced), syncedCheck("apibindings", bindingController.ServedSynced)); err != nil {
		return err
	}
	server.AddPostStartHookOrDie("gantry-workspaces", func(hook genericapiserver.PostStartHookContext) error {
		go controller.Run(hook, o.Workers)
		go crdController.Run(hook, 2)
		go namespaceController.Run(hook, 2)
		go collector.Run(hook, 2)
		go bindingController.Run(hook, 2)
		if err := rbacIndex.Run(hook, hook.LoopbackClientConfig); err != nil {
			return err
		}
		clusterwatch.Feed(hook, coreClient, "/api/v1/namespaces", func() runtime.Object { return &corev1.NamespaceList{} },
			&corev1.Namespace{}, namespaces, "namespace-index")
		clusterwatch.Feed(hook, coreClient, "/api/v1/serviceaccounts", func() runtime.Object { return &corev1.ServiceAccountList{} },
			&corev1.ServiceAccount{}, tokens.Accounts, "serviceaccount-index")
		clusterwatch.Feed(hook, tenancyClient, "/apis/tenancy.gantry.dev/v1alpha1/workspacetypes",
			func() runtime.Object { return &tenancyv1alpha1.WorkspaceTypeList{} }, &tenancyv1alpha1.WorkspaceType{}, types.Types, "workspacetype-index")
		err := wait.PollUntilContextTimeout(hook, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			if err := controller.EnsureDefaultNamespace(ctx, logicalcluster.Root); err != nil {
				klog.FromContext(ctx).V(2).Info("Waiting to create the root workspace's default namespace", "err", err)
				return false, nil
			}
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("creating the root workspace's default namespace: %w", err)
		}
		fmt.Fprintf(os.Stderr, "\nGantry is ready at %s/clusters/root\nPoint kubectl at it with:\n\n  export KUBECONFIG=%s\n  kubectl get namespaces\n\n",
			externalURL, files.AdminKubeconfig)
		return nil
	})
	return server.PrepareRun().RunWithContext(ctx)
}

func newGenericConfig(o *Options, files pki.Files, rbac *authorization.RBAC, tokens *serviceaccount.Tokens) (*genericapiserver.Config, error) {
	config := genericapiserver.NewConfig(registry.Codecs)
	secure := genericoptions.NewSecureServingOptions().WithLoopback()
	secure.BindAddress = net.ParseIP(o.BindAddress)
	secure.BindPort = o.SecurePort
	secure.ServerCert.CertKey = genericoptions.CertKey{CertFile: files.ServingCert, KeyFile: files.ServingKey}
	if err := secure.ApplyTo(&config.SecureServing, &config.LoopbackClientConfig); err != nil {
		return nil, err
	}

	clientCA, err := dynamiccertificates.NewDynamicCAContentFromFile("client-ca", files.CACert)
	if err != nil {
		return nil, err
	}
	config.SecureServing.ClientCA = clientCA
	authenticators := []authenticator.Request{x509request.NewDynamic(clientCA.VerifyOptions, x509request.CommonNameUserConversion)}
	if o.TokenAuthFile != "" {
		staticTokens, err := tokenfile.NewCSV(o.TokenAuthFile)
		if err != nil {
			return nil, fmt.Errorf("--token-auth-file: %w", err)
		}
		authenticators = append(authenticators, bearertoken.New(staticTokens))
	}
	authenticators = append(authenticators, bearertoken.New(tokens))
	config.Authentication.Authenticator = group.NewAuthenticatedGroupAdder(unionauthn.New(authenticators...))
	// system:masters (the admin and the server's own loopback identity) may do anything; everyone else is judged
	// by RBAC in the workspace of the request.
	authz, err := workspaceAuthorizer(rbac)
	if err != nil {
		return nil, err
	}
	config.Authorization.Authorizer = authz
	genericapiserver.AuthorizeClientBearerToken(config.LoopbackClientConfig, &config.Authentication, &config.Authorization)
	if o.AuditLogPath != "" {
		audit := genericoptions.NewAuditOptions()
		audit.LogOptions.Path = o.AuditLogPath
		audit.PolicyFile = o.AuditPolicyFile
		if err := audit.ApplyTo(config); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
	}

	config.EffectiveVersion = compatibility.NewEffectiveVersionFromString(kubernetesVersion, "", "")
	namer := registry.DefinitionNamer()
	config.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	config.OpenAPIConfig.Info.Title = "Gantry"
	config.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	config.OpenAPIV3Config.Info.Title = "Gantry"
	config.ExternalAddress = net.JoinHostPort(o.host(), fmt.Sprint(o.SecurePort))
	config.MaxRequestBodyBytes = o.MaxRequestBodyBytes
	return config, nil
}

// workspaceAuthorizer decides a request in the workspace its context names: system:masters may do anything,
// everyone else is judged by RBAC there.
func workspaceAuthorizer(rbac *authorization.RBAC) (authorizer.Authorizer, error) {
	return unionauthz.New(
		unionauthz.NamedAuthorizer{AuthorizerName: "privileged", Authorizer: authorizerfactory.NewPrivilegedGroups(authorization.PrivilegedGroup)},
		unionauthz.NamedAuthorizer{AuthorizerName: "workspace-rbac", Authorizer: authorizer.AuthorizerFunc(rbac.Authorize)})
}

// apimachinerySchemas are the OpenAPI definitions of the apimachinery types (ObjectMeta and what it refers to)
// that every custom resource schema refers to, for server-side apply of custom resources.
func apimachinerySchemas() map[string]*spec.Schema {
	defs := openapi.GetOpenAPIDefinitions(func(name string) spec.Ref {
		return spec.MustCreateRef("#/components/schemas/" + name)
	})
	out := map[string]*spec.Schema{}
	for name, def := range defs {
		if strings.HasPrefix(name, "io.k8s.apimachinery.") {
			schema := def.Schema
			out[name] = &schema
		}
	}
	return out
}

// syncedCheck is a readiness check that passes once an index has seen its first full list.
func syncedCheck(name string, hasSynced func() bool) healthz.HealthChecker {
	return healthz.NamedCheck(name, func(*http.Request) error {
		if !hasSynced() {
			return fmt.Errorf("%s not synced", name)
		}
		return nil
	})
}
