package virtualworkspace

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/endpoints/handlers"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/gantry-dev/gantry/pkg/apidiscovery"
	"github.com/gantry-dev/gantry/pkg/customresources"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// builtinPatchTypes are the patches built-in resources accept: their Go types carry strategic merge patch tags.
var builtinPatchTypes = []string{string(types.JSONPatchType), string(types.MergePatchType), string(types.StrategicMergePatchType),
	string(types.ApplyYAMLPatchType)}

// builtin is a built-in resource a virtual workspace may serve: the server's own storage of it, and the scope of
// the endpoint handlers that serve it there.
type builtin struct {
	store customresources.ReadUpdateStorage
	scope *handlers.RequestScope
}

// SetBuiltins hands the registry the storage of the built-in resources that definitions may serve (Builtins):
// each must read, list, watch and update, and be a namespaced kind of registry.Scheme. Resources not handed here
// are never served, whatever a definition asks. Field management uses types, the server's own type converter of
// those kinds; nil deduces types from the objects.
func (r *Registry) SetBuiltins(storages map[schema.GroupVersionResource]rest.Storage, types managedfields.TypeConverter) error {
	if types == nil {
		types = managedfields.NewDeducedTypeConverter()
	}
	r.builtins = map[schema.GroupVersionResource]*builtin{}
	for gvr, storage := range storages {
		store, ok := storage.(customresources.ReadUpdateStorage)
		if !ok {
			return fmt.Errorf("the storage of %s cannot be served in a virtual workspace: it does not read and update", gvr)
		}
		scope, err := builtinScope(gvr, store, types)
		if err != nil {
			return fmt.Errorf("%s: %w", gvr, err)
		}
		r.builtins[gvr] = &builtin{store: store, scope: scope}
	}
	return nil
}

// builtinScope is the request scope of a namespaced built-in resource of registry.Scheme, as the generic API
// server's installer makes it.
func builtinScope(gvr schema.GroupVersionResource, store customresources.ReadUpdateStorage, types managedfields.TypeConverter) (*handlers.RequestScope, error) {
	kinds, _, err := registry.Scheme.ObjectKinds(store.New())
	if err != nil {
		return nil, err
	}
	kind := gvr.GroupVersion().WithKind(kinds[0].Kind)
	hub := registry.InternalVersion(gvr.Group)
	scope := &handlers.RequestScope{
		Namer:            handlers.ContextBasedNaming{Namer: meta.NewAccessor(), ClusterScoped: false},
		Serializer:       registry.Codecs,
		ParameterCodec:   metav1.ParameterCodec,
		Creater:          registry.Scheme,
		Convertor:        registry.Scheme,
		Defaulter:        registry.Scheme,
		Typer:            registry.Scheme,
		UnsafeConvertor:  runtime.UnsafeObjectConvertor(registry.Scheme),
		Resource:         gvr,
		Kind:             kind,
		HubGroupVersion:  hub,
		MetaGroupVersion: metav1.SchemeGroupVersion,
		TableConvertor:   store,
	}
	equivalents := runtime.NewEquivalentResourceRegistry()
	equivalents.RegisterKindFor(gvr, "", kind)
	scope.EquivalentResourceMapper = equivalents
	var resetFields map[fieldpath.APIVersion]*fieldpath.Set
	if reset, ok := store.(rest.ResetFieldsStrategy); ok {
		resetFields = reset.GetResetFields()
	}
	if scope.FieldManager, err = managedfields.NewDefaultFieldManager(types, scope.UnsafeConvertor, registry.Scheme, registry.Scheme, kind, hub, "",
		fieldpath.NewExcludeFilterSetMap(resetFields)); err != nil {
		return nil, err
	}
	return scope, nil
}

// builtinFor returns the served built-in resource a request names for a target, or nil.
func (r *Registry) builtinFor(t Target, info *genericapirequest.RequestInfo) *builtin {
	if info.APIPrefix != "api" && info.APIPrefix != "apis" || info.APIPrefix == "api" && info.APIGroup != "" {
		return nil
	}
	gvr := schema.GroupVersionResource{Group: info.APIGroup, Version: info.APIVersion, Resource: info.Resource}
	if !t.Definition.servesBuiltin(t, gvr.GroupResource()) {
		return nil
	}
	return r.builtins[gvr]
}

// servesBuiltin reports whether a target's view offers a built-in resource.
func (d *Definition) servesBuiltin(t Target, gr schema.GroupResource) bool {
	if d.Builtins == nil || t.Cluster == "" {
		return false
	}
	return slices.ContainsFunc(d.Builtins(t), func(gvr schema.GroupVersionResource) bool { return gvr.GroupResource() == gr })
}

// serveBuiltin serves a request for a built-in resource's objects through the target's view: only the verbs
// FilteredHandler serves, no subresource, and namespaced requests only for one object.
func (r *Registry) serveBuiltin(w http.ResponseWriter, req *http.Request, info *genericapirequest.RequestInfo, t Target, b *builtin) {
	if info.Subresource != "" || info.Namespace == "" && info.Name != "" {
		writeError(w, req, notFoundResource(info))
		return
	}
	view := t.Definition.view(t, info)
	if view == nil {
		view = &customresources.View{}
	}
	var admit admission.Interface = admission.NewChainHandler()
	minTimeout := r.minRequestTimeout()
	if r.Resources != nil && r.Resources.Admission != nil {
		admit = r.Resources.Admission
	}
	store := customresources.NewFilteredStore(b.store, *view)
	handler := customresources.FilteredHandler(info.Verb, store, b.scope, admit, minTimeout)
	if info.Verb == "patch" {
		handler = handlers.PatchResource(store, b.scope, admit, builtinPatchTypes)
	}
	if handler == nil {
		writeError(w, req, apierrors.NewMethodNotSupported(schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}, info.Verb))
		return
	}
	handler(w, req)
}

// staticResources are what a target's view serves besides its CRDs' resources, for its discovery: its built-in
// resources and, with ServesCRDs, CRDResource.
func (r *Registry) staticResources(t Target) []apidiscovery.StaticResource {
	d := t.Definition
	var out []apidiscovery.StaticResource
	if d.Builtins != nil && t.Cluster != "" {
		for _, gvr := range d.Builtins(t) {
			b := r.builtins[gvr]
			if b == nil {
				continue
			}
			resource := metav1.APIResource{Name: gvr.Resource, SingularName: strings.ToLower(b.scope.Kind.Kind), Namespaced: true,
				Kind: b.scope.Kind.Kind, Verbs: d.Verbs}
			if short, ok := b.store.(rest.ShortNamesProvider); ok {
				resource.ShortNames = short.ShortNames()
			}
			out = append(out, apidiscovery.StaticResource{GroupVersion: gvr.GroupVersion(), Resource: resource})
		}
	}
	if d.ServesCRDs {
		out = append(out, apidiscovery.StaticResource{GroupVersion: CRDResource.GroupVersion(), Resource: metav1.APIResource{
			Name: CRDResource.Resource, SingularName: "customresourcedefinition", Kind: "CustomResourceDefinition", Verbs: crdVerbs,
			ShortNames: []string{"crd", "crds"}}})
	}
	return out
}
