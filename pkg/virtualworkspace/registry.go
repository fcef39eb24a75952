package virtualworkspace

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"

	"github.com/gantry-dev/gantry/pkg/apidiscovery"
	"github.com/gantry-dev/gantry/pkg/customresources"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// Resolver maps a workspace path to its logical cluster.
type Resolver interface {
	Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool)
}

// Registry holds the virtual workspaces a server offers, and serves them.
type Registry struct {
	definitions map[string]*Definition
	// Resources serves the objects of the served CRDs.
	Resources *customresources.Server
	// Discovery serves their discovery and OpenAPI.
	Discovery *apidiscovery.Discovery
	// builtins are the built-in resources definitions may serve, by version.
	builtins map[schema.GroupVersionResource]*builtin
}

// NewRegistry returns a registry of definitions, served from resources and discovery.
func NewRegistry(resources *customresources.Server, discovery *apidiscovery.Discovery, definitions ...*Definition) *Registry {
	r := &Registry{definitions: map[string]*Definition{}, Resources: resources, Discovery: discovery}
	for _, d := range definitions {
		r.definitions[d.Name] = d
	}
	return r
}

// Parse reads "<name>/<workspace path>/<object>/clusters/..." (a URL's escaped path after Prefix) and returns its
// target and the "/clusters/..." rest. A workspace path that names no workspace yields a Target without a cluster,
// which the authorizer refuses like any other object the user may not use.
func (r *Registry) Parse(escaped string, resolver Resolver) (Target, string, error) {
	parts := strings.SplitN(escaped, "/", 4)
	d := r.definitions[parts[0]]
	if d == nil || len(parts) < 4 || !strings.HasPrefix("/"+parts[3], "/clusters/") && parts[3] != "clusters" {
		return Target{}, "", notFound(fmt.Sprintf("a virtual workspace is reached at %s<name>/<workspace path>/<object>/clusters/<workspace or *>/...", Prefix))
	}
	pathText, err := url.PathUnescape(parts[1])
	if err != nil {
		return Target{}, "", apierrors.NewBadRequest(fmt.Sprintf("invalid %s workspace %q: %v", d.Object.Resource, parts[1], err))
	}
	path, err := logicalcluster.ParsePath(pathText)
	if err != nil {
		return Target{}, "", apierrors.NewBadRequest(fmt.Sprintf("invalid %s workspace: %v", d.Object.Resource, err))
	}
	name, err := url.PathUnescape(parts[2])
	if err != nil || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return Target{}, "", apierrors.NewBadRequest(fmt.Sprintf("invalid %s name %q", d.Object.Resource, parts[2]))
	}
	t := Target{Definition: d, Path: path, Name: name}
	if cluster, ok := resolver.Resolve(logicalcluster.Reference{Path: path}); ok {
		t.Cluster = cluster
	}
	return t, "/" + parts[3], nil
}

// Authorizer wraps delegate: a virtual workspace request is decided here, by the definition's verb on its object
// (asked of workspaceAuthorizer in the object's workspace) and the definition's limits; every other request goes
// to delegate.
func (r *Registry) Authorizer(delegate, workspaceAuthorizer authorizer.Authorizer) authorizer.Authorizer {
	return authorizer.AuthorizerFunc(func(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
		t, ok := TargetFrom(ctx)
		if !ok {
			return delegate.Authorize(ctx, a)
		}
		d := t.Definition
		if t.Cluster == "" || a.GetUser() == nil {
			return authorizer.DecisionDeny, d.accessDenied(), nil
		}
		decision, _, err := workspaceAuthorizer.Authorize(logicalcluster.WithCluster(ctx, t.Cluster), authorizer.AttributesRecord{
			User: a.GetUser(), Verb: d.Verb, ResourceRequest: true,
			APIGroup: d.Object.Group, APIVersion: d.Object.Version, Resource: d.Object.Resource, Name: t.Name,
		})
		if err != nil || decision != authorizer.DecisionAllow {
			return authorizer.DecisionDeny, d.accessDenied(), err
		}
		if reason := d.refusal(t, a); reason != "" {
			return authorizer.DecisionDeny, reason, nil
		}
		return authorizer.DecisionAllow, "", nil
	})
}

// refusal says why a request by a user allowed into the virtual workspace is still refused, or "".
func (d *Definition) refusal(t Target, a authorizer.Attributes) string {
	if !a.IsResourceRequest() {
		if a.GetVerb() == "get" {
			return ""
		}
		return "the virtual workspace serves only discovery besides its resources"
	}
	if d.isCRDRequest(a.GetAPIGroup(), a.GetResource()) {
		if !slices.Contains(crdVerbs, a.GetVerb()) || a.GetSubresource() != "" {
			return fmt.Sprintf("the virtual workspace allows only %s on %s", strings.Join(crdVerbs, ", "), CRDResource.Resource)
		}
		return ""
	}
	if !slices.Contains(d.Verbs, a.GetVerb()) {
		return fmt.Sprintf("the virtual workspace allows only %s", strings.Join(d.Verbs, ", "))
	}
	if d.servesBuiltin(t, schema.GroupResource{Group: a.GetAPIGroup(), Resource: a.GetResource()}) {
		if a.GetSubresource() != "" {
			return fmt.Sprintf("the virtual workspace serves no subresources of %s", a.GetResource())
		}
		return ""
	}
	if a.GetSubresource() != "" && !slices.Contains(d.Subresources, a.GetSubresource()) {
		return fmt.Sprintf("the virtual workspace serves only the subresources %v", d.Subresources)
	}
	if d.resource(t, a.GetAPIGroup(), a.GetResource()) == nil {
		return fmt.Sprintf("the %s does not offer this resource", d.Object.Resource)
	}
	return ""
}

// resource returns the served CRD of group/resource for a target, or nil.
func (d *Definition) resource(t Target, group, resource string) *apiextensionsv1.CustomResourceDefinition {
	if t.Cluster == "" {
		return nil
	}
	for _, crd := range d.Resources(t) {
		if crd.Spec.Group == group && crd.Status.AcceptedNames.Plural == resource {
			return crd
		}
	}
	return nil
}

// Wrap returns next wrapped so that virtual workspace requests are served here: discovery and OpenAPI of the
// served resources, and their visible objects. It sits where the API handler sits, inside authorization.
func (r *Registry) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		t, virtual := TargetFrom(ctx)
		cluster, ok := logicalcluster.From(ctx)
		info, hasInfo := genericapirequest.RequestInfoFrom(ctx)
		if !virtual || !ok || !hasInfo {
			next.ServeHTTP(w, req) // not virtual, or an unknown workspace, which WithUnknownWorkspace answers
			return
		}
		d := t.Definition
		if !info.IsResourceRequest {
			var crds []*apiextensionsv1.CustomResourceDefinition
			if t.Cluster != "" {
				crds = d.Resources(t)
			}
			r.Discovery.ServeOnly(w, req, crds, d.Verbs, r.staticResources(t))
			return
		}
		if d.isCRDRequest(info.APIGroup, info.Resource) && info.APIPrefix == "apis" && info.APIVersion == CRDResource.Version {
			d.serveCRDs(w, req, info, t, cluster)
			return
		}
		if b := r.builtinFor(t, info); b != nil {
			r.serveBuiltin(w, req, info, t, b)
			return
		}
		fail := func() { writeError(w, req, notFoundResource(info)) }
		crd := d.resource(t, info.APIGroup, info.Resource)
		// A registry without a custom resource server (a test's) serves no CRD objects rather than failing.
		if crd == nil || r.Resources == nil || info.APIPrefix != apiPrefixOf(crd) || cluster != logicalcluster.Wildcard && d.Serves != nil && !d.Serves(t, cluster, crd) {
			fail()
			return
		}
		r.Resources.ServeResource(w, req, info, crd, d.view(t, info), fail)
	})
}

// apiPrefixOf is where a served CRD's resource is reached: under /api for the core group (a bound Service), as a
// Kubernetes cluster serves it, and under /apis for every other group.
func apiPrefixOf(crd *apiextensionsv1.CustomResourceDefinition) string {
	if crd.Spec.Group == "" {
		return "api"
	}
	return "apis"
}

// view is what a target's request may see and change, or nil when the definition narrows nothing.
func (d *Definition) view(t Target, info *genericapirequest.RequestInfo) *customresources.View {
	if d.Selector == nil && d.ValidateUpdate == nil {
		return nil
	}
	view := &customresources.View{}
	if d.Selector != nil {
		view.Selector = d.Selector(t)
	}
	if d.ValidateUpdate != nil {
		view.ValidateUpdate = func(_ context.Context, obj, old runtime.Object) error {
			return d.validateUpdate(t, info, obj, old)
		}
	}
	return view
}

// validateUpdate applies ValidateUpdate to typed or unstructured objects, and refuses with a Forbidden.
func (d *Definition) validateUpdate(t Target, info *genericapirequest.RequestInfo, obj, old runtime.Object) error {
	gr := schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}
	newU, err := toUnstructured(obj)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	oldU, err := toUnstructured(old)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if err := d.ValidateUpdate(t, oldU, newU); err != nil {
		return apierrors.NewForbidden(gr, info.Name, err)
	}
	return nil
}

// toUnstructured returns obj as an Unstructured: itself, or a converted copy of a typed object.
func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u, nil
	}
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return &unstructured.Unstructured{Object: content}, nil
}

// minRequestTimeout is the shortest watch timeout, as the custom resource server has it.
func (r *Registry) minRequestTimeout() time.Duration {
	if r.Resources == nil {
		return time.Minute
	}
	return r.Resources.MinRequestTimeout
}

// writeError answers a request with err as a Kubernetes Status.
func writeError(w http.ResponseWriter, req *http.Request, err error) {
	responsewriters.ErrorNegotiated(err, registry.Codecs, schema.GroupVersion{}, w, req)
}

func notFound(message string) error {
	err := apierrors.NewNotFound(schema.GroupResource{}, "")
	err.ErrStatus.Message = message
	return err
}

func notFoundResource(info *genericapirequest.RequestInfo) error {
	return apierrors.NewNotFound(schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}, info.Name)
}
