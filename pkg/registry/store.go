package registry

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

// typedStore is a genericregistry.Store that also reports short names to discovery.
type typedStore struct {
	*genericregistry.Store
	shortNames []string
}

var _ rest.ShortNamesProvider = &typedStore{}

// ShortNames implements rest.ShortNamesProvider.
func (s *typedStore) ShortNames() []string { return s.shortNames }

func newStore(optsGetter generic.RESTOptionsGetter, r resource) (*typedStore, error) {
	s := newStrategy(r.rules)
	var deleteStrategy rest.RESTDeleteStrategy = s
	if r.rules.markDeleting != nil {
		deleteStrategy = markingDeleteStrategy{strategy: s}
	}
	store := &genericregistry.Store{
		NewFunc:                   r.newFunc,
		NewListFunc:               r.newList,
		DefaultQualifiedResource:  r.gvr.GroupResource(),
		SingularQualifiedResource: schema.GroupResource{Group: r.gvr.Group, Resource: r.singular},
		CreateStrategy:            s,
		UpdateStrategy:            s,
		DeleteStrategy:            deleteStrategy,
		ResetFieldsStrategy:       s,
		TableConvertor:            tableFor(r.kind),
	}
	if err := store.CompleteWithOptions(&generic.StoreOptions{RESTOptions: optsGetter, AttrFunc: r.fields}); err != nil {
		return nil, fmt.Errorf("storage for %s: %w", r.gvr.GroupResource(), err)
	}
	return &typedStore{Store: store, shortNames: r.shortNames}, nil
}

// APIGroups builds the API groups of every typed resource, ready for GenericAPIServer.InstallLegacyAPIGroup (the
// core group, returned first) and InstallAPIGroups (the rest). guard checks every RBAC write against escalation;
// tokens issues ServiceAccount tokens (serviceaccounts/token); extra adds more resources, such as the tenancy API.
func APIGroups(optsGetter generic.RESTOptionsGetter, guard RBACGuard, tokens TokenIssuer, extra ...resourceSet) (legacy *genericapiserver.APIGroupInfo, groups []*genericapiserver.APIGroupInfo, err error) {
	byGroup := map[string]*genericapiserver.APIGroupInfo{}
	groupInfo := func(gv schema.GroupVersion) *genericapiserver.APIGroupInfo {
		info, ok := byGroup[gv.Group]
		if !ok {
			g := genericapiserver.NewDefaultAPIGroupInfo(gv.Group, Scheme, metav1.ParameterCodec, Codecs)
			info = &g
			info.PrioritizedVersions = nil
			byGroup[gv.Group] = info
		}
		if info.VersionedResourcesStorageMap[gv.Version] == nil {
			info.VersionedResourcesStorageMap[gv.Version] = map[string]rest.Storage{}
			info.PrioritizedVersions = append(info.PrioritizedVersions, gv)
		}
		return info
	}
	for _, r := range builtinResources {
		store, err := newStore(optsGetter, r)
		if err != nil {
			return nil, nil, err
		}
		var storage rest.Storage = store
		if check := guardChecks(guard, r.kind); check != nil && r.gvr.Group == "rbac.authorization.k8s.io" {
			storage = &guardedStore{typedStore: store, check: check}
		}
		if r.gvr.Resource == "namespaces" {
			main, finalize, status := namespaceStorage(store)
			storage = main
			groupInfo(r.gvr.GroupVersion()).VersionedResourcesStorageMap[r.gvr.Version]["namespaces/finalize"] = finalize
			groupInfo(r.gvr.GroupVersion()).VersionedResourcesStorageMap[r.gvr.Version]["namespaces/status"] = status
		}
		groupInfo(r.gvr.GroupVersion()).VersionedResourcesStorageMap[r.gvr.Version][r.gvr.Resource] = storage
		if r.gvr.Resource == "serviceaccounts" && tokens != nil {
			groupInfo(r.gvr.GroupVersion()).VersionedResourcesStorageMap[r.gvr.Version]["serviceaccounts/token"] = &tokenREST{accounts: store, issuer: tokens}
		}
	}
	for _, set := range extra {
		storages, err := set(optsGetter)
		if err != nil {
			return nil, nil, err
		}
		for gvr, storage := range storages {
			groupInfo(gvr.GroupVersion()).VersionedResourcesStorageMap[gvr.Version][gvr.Resource] = storage
		}
	}
	legacy = byGroup[""]
	delete(byGroup, "")
	names := make([]string, 0, len(byGroup))
	for g := range byGroup {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		groups = append(groups, byGroup[g])
	}
	return legacy, groups, nil
}

// specAndStatus returns the rules of a kind's main endpoint, which keeps the stored status, and of its status
// endpoint, which keeps the stored spec; both validate with validate.
func specAndStatus(validate func(obj, old runtime.Object) field.ErrorList, prepareForCreate func(context.Context, runtime.Object)) (main, status kindRules) {
	return kindRules{validate: validate, prepareForCreate: prepareForCreate, prepareForUpdate: keepField("Status")},
		kindRules{validate: validate, prepareForUpdate: keepField("Spec")}
}

// keepField returns a prepareForUpdate that carries the named top-level field of old ("Spec" or "Status") into
// obj: what an endpoint may not change.
func keepField(name string) func(obj, old runtime.Object) {
	return func(obj, old runtime.Object) {
		reflect.ValueOf(obj).Elem().FieldByName(name).Set(reflect.ValueOf(old).Elem().FieldByName(name))
	}
}

// statusResource builds the storage of a kind with a status subresource. r.rules serve the main endpoint, whose
// updates must keep the status (r.rules.prepareForUpdate's job); status serves "<resource>/status", whose updates
// must keep everything but the status. Server-side apply ignores the status on one and the spec on the other.
func statusResource(optsGetter generic.RESTOptionsGetter, r resource, status kindRules) (map[schema.GroupVersionResource]rest.Storage, error) {
	version := fieldpath.APIVersion(r.gvr.GroupVersion().String())
	r.rules.resetFields = map[fieldpath.APIVersion]*fieldpath.Set{version: fieldpath.NewSet(fieldpath.MakePathOrDie("status"))}
	status.resetFields = map[fieldpath.APIVersion]*fieldpath.Set{version: fieldpath.NewSet(fieldpath.MakePathOrDie("spec"))}
	store, err := newStore(optsGetter, r)
	if err != nil {
		return nil, err
	}
	statusStore := *store.Store
	statusStrategy := newStrategy(status)
	statusStore.UpdateStrategy, statusStore.ResetFieldsStrategy = statusStrategy, statusStrategy
	return map[schema.GroupVersionResource]rest.Storage{
		r.gvr: store,
		r.gvr.GroupVersion().WithResource(r.gvr.Resource + "/status"): &subresourceREST{store: &statusStore},
	}, nil
}

// resourceSet builds the storage of some resources, subresources included (".../workspaces/status").
type resourceSet func(optsGetter generic.RESTOptionsGetter) (map[schema.GroupVersionResource]rest.Storage, error)

// subresourceREST serves a subresource that updates part of its parent object (workspaces/status,
// namespaces/finalize): get, update and patch, through a store whose strategy keeps the rest.
type subresourceREST struct {
	store *genericregistry.Store
}

var (
	_ rest.Patcher             = &subresourceREST{}
	_ rest.ResetFieldsStrategy = &subresourceREST{}
)

func (r *subresourceREST) New() runtime.Object { return r.store.New() }
func (r *subresourceREST) Destroy()            {}

func (r *subresourceREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

func (r *subresourceREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	// Subresources never create their parent.
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

func (r *subresourceREST) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return r.store.GetResetFields()
}

func (r *subresourceREST) ConvertToTable(ctx context.Context, obj runtime.Object, opts runtime.Object) (*metav1.Table, error) {
	return r.store.ConvertToTable(ctx, obj, opts)
}
