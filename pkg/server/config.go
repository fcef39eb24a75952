package server

import (
	"fmt"
	"net"
	"runtime/debug"
	"strings"

	apimachineryversion "k8s.io/apimachinery/pkg/version"
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
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/component-base/compatibility"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/gantry-dev/gantry/pkg/authorization"
	"github.com/gantry-dev/gantry/pkg/buildversion"
	"github.com/gantry-dev/gantry/pkg/generated/openapi"
	"github.com/gantry-dev/gantry/pkg/pki"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/serviceaccount"
)

// kubernetesVersion is the Kubernetes API level Gantry serves.
const kubernetesVersion = "1.37"

// newGenericConfig is the k8s.io/apiserver configuration: serving, authentication (client certificates, static
// tokens, ServiceAccount tokens), the workspace authorizer, audit, OpenAPI.
func newGenericConfig(o *Options, files pki.Files, rbac *authorization.RBAC, tokens *serviceaccount.Tokens) (*genericapiserver.Config, error) {
	config := genericapiserver.NewConfig(registry.Codecs)
	secure := genericoptions.NewSecureServingOptions().WithLoopback()
	secure.BindAddress = net.ParseIP(o.BindAddress)
	secure.BindPort = o.SecurePort
	secure.ServerCert.CertKey = genericoptions.CertKey{CertFile: files.ServingCert, KeyFile: files.ServingKey}
	if err := secure.ApplyTo(&config.SecureServing, &config.LoopbackClientConfig); err != nil {
		return nil, err
	}
	authn, err := newAuthenticator(o, files, tokens, config)
	if err != nil {
		return nil, err
	}
	config.Authentication.Authenticator = authn
	if config.Authorization.Authorizer, err = workspaceAuthorizer(rbac); err != nil {
		return nil, err
	}
	genericapiserver.AuthorizeClientBearerToken(config.LoopbackClientConfig, &config.Authentication, &config.Authorization)
	if o.AuditLogPath != "" {
		audit := genericoptions.NewAuditOptions()
		audit.LogOptions.Path = o.AuditLogPath
		audit.PolicyFile = o.AuditPolicyFile
		if err := audit.ApplyTo(config); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
	}

	config.EffectiveVersion = servedVersion{compatibility.NewEffectiveVersionFromString(kubernetesVersion, "", "")}
	namer := registry.DefinitionNamer()
	config.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	config.OpenAPIConfig.Info.Title = "Gantry"
	config.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	config.OpenAPIV3Config.Info.Title = "Gantry"
	config.ExternalAddress = net.JoinHostPort(o.host(), fmt.Sprint(o.SecurePort))
	config.MaxRequestBodyBytes = o.MaxRequestBodyBytes
	return config, nil
}

// servedVersion is the effective version whose Info (what /version serves) has a valid semantic gitVersion
// however the binary was built (pkg/buildversion).
type servedVersion struct {
	compatibility.EffectiveVersion
}

// Info implements compatibility.EffectiveVersion.
func (v servedVersion) Info() *apimachineryversion.Info {
	info := v.EffectiveVersion.Info()
	if info == nil {
		return nil
	}
	build, _ := debug.ReadBuildInfo()
	completed := buildversion.Complete(*info, kubernetesVersion, build)
	return &completed
}

// newAuthenticator accepts client certificates of the CA, static tokens when configured, and ServiceAccount tokens.
func newAuthenticator(o *Options, files pki.Files, tokens *serviceaccount.Tokens, config *genericapiserver.Config) (authenticator.Request, error) {
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
	return group.NewAuthenticatedGroupAdder(unionauthn.New(authenticators...)), nil
}

// workspaceAuthorizer decides a request in the workspace its context names: system:masters (the admin and the
// server's own loopback identity) may do anything, everyone else is judged by RBAC there.
func workspaceAuthorizer(rbac *authorization.RBAC) (authorizer.Authorizer, error) {
	return unionauthz.New(
		unionauthz.NamedAuthorizer{AuthorizerName: "privileged", Authorizer: authorizerfactory.NewPrivilegedGroups(authorization.PrivilegedGroup)},
		unionauthz.NamedAuthorizer{AuthorizerName: "workspace-rbac", Authorizer: authorizer.AuthorizerFunc(rbac.Authorize)})
}

// apimachinerySchemas are the OpenAPI definitions of the apimachinery types (ObjectMeta and what it refers to)
// that every custom resource schema refers to, with references under refPrefix ("#/components/schemas/" for v3,
// "#/definitions/" for v2).
func apimachinerySchemas(refPrefix string) map[string]*spec.Schema {
	defs := openapi.GetOpenAPIDefinitions(func(name string) spec.Ref {
		return spec.MustCreateRef(refPrefix + name)
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

// apimachineryDefinitionsV2 are apimachinerySchemas for OpenAPI v2 documents.
func apimachineryDefinitionsV2() spec.Definitions {
	out := spec.Definitions{}
	for name, schema := range apimachinerySchemas("#/definitions/") {
		out[name] = *schema
	}
	return out
}
