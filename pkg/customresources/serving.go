package customresources

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/conversion"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/controller/openapi/builder"
	"k8s.io/apiextensions-apiserver/pkg/crdserverscheme"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource/tableconvertor"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/handlers"
	"k8s.io/klog/v2"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// Config is what the custom resource server needs from the rest of Gantry.
type Config struct {
	// CRDs is the source of the CRDs each workspace serves.
	CRDs *crdset.Set
	// Storage hands out workspace-aware storage.
	Storage *clusterstore.RESTOptionsGetter
	// Authorizer is the server's authorizer, for the endpoint handlers.
	Authorizer authorizer.Authorizer
	// Admission is the server's one admission chain, the same that built-in resources go through; nil runs none.
	Admission admission.Interface
	// ReservedGroups are served natively; a CRD may not claim them, nor a binding a resource of them, except
	// core-group resources Gantry does not serve itself (registry.Reserved).
	ReservedGroups []string
	// StaticSchemas are the OpenAPI definitions custom resource schemas refer to (ObjectMeta and friends).
	StaticSchemas map[string]*spec.Schema
	// MaxRequestBodyBytes bounds request bodies.
	MaxRequestBodyBytes int64
	// MinRequestTimeout is the shortest watch timeout.
	MinRequestTimeout time.Duration
}

// Server serves the objects of custom resources: the CRDs of each workspace, its bound resources, and the
// resources of virtual workspaces. The REST storage of a CRD is built the first time one of its objects is
// requested, and shared by every request for it.
type Server struct {
	Config
	converters *conversion.CRConverterFactory
	reserved   registry.Reserved

	mu     sync.Mutex
	served map[servedKey]*servedCRD
}

// servedKey identifies the storage of a CRD. Bound CRDs of one export share a UID, the export's identity.
type servedKey struct {
	uid  types.UID
	name string
}

// NewServer returns a Server.
func NewServer(c Config) (*Server, error) {
	converters, err := conversion.NewCRConverterFactory(nil, nil)
	if err != nil {
		return nil, err
	}
	s := &Server{Config: c, converters: converters, reserved: registry.NewReserved(c.ReservedGroups), served: map[servedKey]*servedCRD{}}
	return s, nil
}

// servedCRD is the REST storage of one CRD in one workspace, built on first use.
type servedCRD struct {
	generation int64
	names      apiextensionsv1.CustomResourceDefinitionNames
	versions   map[string]*servedVersion
}

type servedVersion struct {
	storage     customresource.CustomResourceStorage
	status      statusStorage // the status subresource's, or nil
	scope       *handlers.RequestScope
	statusScope *handlers.RequestScope
	scaleScope  *handlers.RequestScope
}

func (c *servedCRD) destroy() {
	for _, v := range c.versions {
		v.storage.CustomResource.Destroy()
	}
}

// servingFor returns the storage of an established CRD, building it if the CRD is new or its spec changed.
func (s *Server) servingFor(crd *apiextensionsv1.CustomResourceDefinition) (*servedCRD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := servedKey{crd.UID, crd.Name}
	if existing, ok := s.served[key]; ok {
		if existing.generation == crd.Generation && reflect.DeepEqual(existing.names, crd.Status.AcceptedNames) {
			return existing, nil
		}
		// Workspaces that bind one export may briefly see two generations of its schema while the change reaches
		// each of them: serve the newer one, never go back.
		if crdset.IsBound(crd) && existing.generation > crd.Generation {
			return existing, nil
		}
		existing.destroy()
		delete(s.served, key)
	}
	built, err := s.build(crd)
	if err != nil {
		return nil, err
	}
	s.served[key] = built
	return built, nil
}

// Destroy stops the storage of every served CRD (its watch caches and etcd watches), on shutdown.
func (s *Server) Destroy() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, served := range s.served {
		served.destroy()
		delete(s.served, key)
	}
}

// Forget drops the storage of a CRD that is gone.
func (s *Server) Forget(crd *apiextensionsv1.CustomResourceDefinition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := servedKey{crd.UID, crd.Name}
	if existing, ok := s.served[key]; ok {
		existing.destroy()
		delete(s.served, key)
	}
}

func (s *Server) build(crd *apiextensionsv1.CustomResourceDefinition) (*servedCRD, error) {
	storageVersion, err := apihelpers.GetCRDStorageVersion(crd)
	if err != nil {
		return nil, err
	}
	names := crd.Status.AcceptedNames
	kindGK := schema.GroupKind{Group: crd.Spec.Group, Kind: names.Kind}
	sch := schemas{gk: kindGK, byVersion: map[string]*structuralschema.Structural{}}
	internalSchemas := map[string]*apiextensionsinternal.CustomResourceValidation{}
	for _, v := range crd.Spec.Versions {
		val, err := apihelpers.GetSchemaForVersion(crd, v.Name)
		if err != nil || val == nil {
			return nil, fmt.Errorf("CRD %s version %s has no usable schema: %v", crd.Name, v.Name, err)
		}
		internal := &apiextensionsinternal.CustomResourceValidation{}
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(val, internal, nil); err != nil {
			return nil, err
		}
		structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
		if err != nil {
			return nil, fmt.Errorf("CRD %s version %s: %w", crd.Name, v.Name, err)
		}
		structural = structural.DeepCopy()
		if err := structuraldefaulting.PruneDefaults(structural); err != nil {
			return nil, err
		}
		sch.byVersion[v.Name] = structural
		internalSchemas[v.Name] = internal
	}
	safeConverter, unsafeConverter, err := s.converters.NewConverter(crd)
	if err != nil {
		return nil, err
	}
	typeConverter := s.typeConverter(crd)
	replicasPaths := managedfields.ResourcePathMappings{}
	for _, v := range crd.Spec.Versions {
		gv := schema.GroupVersion{Group: crd.Spec.Group, Version: v.Name}.String()
		replicasPaths[gv] = nil
		if sub, _ := apihelpers.GetSubresourcesForVersion(crd, v.Name); sub != nil && sub.Scale != nil {
			var p fieldpath.Path
			for _, element := range strings.Split(strings.TrimPrefix(sub.Scale.SpecReplicasPath, "."), ".") {
				name := element
				p = append(p, fieldpath.PathElement{FieldName: &name})
			}
			replicasPaths[gv] = p
		}
	}

	out := &servedCRD{generation: crd.Generation, names: names, versions: map[string]*servedVersion{}}
	equivalents := runtime.NewEquivalentResourceRegistry()
	for _, v := range crd.Spec.Versions {
		gvr := schema.GroupVersionResource{Group: crd.Spec.Group, Version: v.Name, Resource: names.Plural}
		equivalents.RegisterKindFor(gvr, "", gvr.GroupVersion().WithKind(names.Kind))
		equivalents.RegisterKindFor(gvr, "status", gvr.GroupVersion().WithKind(names.Kind))
		equivalents.RegisterKindFor(gvr, "scale", autoscalingv1.SchemeGroupVersion.WithKind("Scale"))
	}
	for _, v := range crd.Spec.Versions {
		if !v.Served && !v.Storage {
			continue
		}
		version, err := s.buildVersion(crd, v, sch, internalSchemas[v.Name], storageVersion, safeConverter, unsafeConverter, typeConverter, replicasPaths, equivalents)
		if err != nil {
			out.destroy()
			return nil, fmt.Errorf("CRD %s version %s: %w", crd.Name, v.Name, err)
		}
		out.versions[v.Name] = version
	}
	return out, nil
}

func (s *Server) buildVersion(crd *apiextensionsv1.CustomResourceDefinition, v apiextensionsv1.CustomResourceDefinitionVersion,
	sch schemas, internal *apiextensionsinternal.CustomResourceValidation, storageVersion string,
	safeConverter, unsafeConverter runtime.ObjectConvertor, typeConverter managedfields.TypeConverter,
	replicasPaths managedfields.ResourcePathMappings, equivalents runtime.EquivalentResourceRegistry) (*servedVersion, error) {
	names := crd.Status.AcceptedNames
	gv := schema.GroupVersion{Group: crd.Spec.Group, Version: v.Name}
	gr := schema.GroupResource{Group: crd.Spec.Group, Resource: names.Plural}
	kind := gv.WithKind(names.Kind)
	parameters := parameterScheme(gv)
	t := typer{unstructured: crdserverscheme.NewUnstructuredObjectTyper(), parameters: parameters}
	d := defaulter{schemas: sch, parameters: parameters}

	validation, err := newVersionValidation(crd, v.Name, internal)
	if err != nil {
		return nil, err
	}
	table, err := tableconvertor.New(printerColumns(v))
	if err != nil {
		klog.V(2).Info("Invalid printer columns, printing names only", "crd", crd.Name, "err", err)
		table, _ = tableconvertor.New(nil)
	}

	strategy := customresource.NewStrategy(t, crd.Spec.Scope == apiextensionsv1.NamespaceScoped, kind, validation.object, validation.status,
		sch.byVersion[v.Name], validation.statusSubresource, validation.scaleSubresource, v.SelectableFields)
	storage, err := customresource.NewStorage(gr, schema.GroupResource{Group: crd.Spec.Group, Resource: names.Singular}, kind,
		gv.WithKind(names.ListKind), strategy,
		storageOptions{
			base:          s.Storage,
			prefix:        crdset.StoragePrefix(crd),
			codec:         newStorageCodec(t, safeConverter, d, sch, schema.GroupVersion{Group: crd.Spec.Group, Version: storageVersion}, gv),
			encodeVersion: schema.GroupVersion{Group: crd.Spec.Group, Version: storageVersion},
		},
		names.Categories, table, replicasPaths)
	if err != nil {
		return nil, err
	}
	var status statusStorage
	if storage.Status != nil {
		status = storage.Status
	}
	if crd.Spec.Group == "" {
		coreKind := schema.GroupVersionKind{Group: "core", Version: kind.Version, Kind: kind.Kind}
		validating := customresource.NewStrategy(t, crd.Spec.Scope == apiextensionsv1.NamespaceScoped, coreKind, validation.object, validation.status,
			sch.byVersion[v.Name], validation.statusSubresource, validation.scaleSubresource, v.SelectableFields)
		status = forCoreGroup(storage, coreValidation{object: validating, status: customresource.NewStatusStrategy(validating)},
			customresource.NewStatusStrategy(strategy))
	}

	serializer := newNegotiatedSerializer(t, safeConverter, d, sch)
	scope := &handlers.RequestScope{
		Namer:                    handlers.ContextBasedNaming{Namer: meta.NewAccessor(), ClusterScoped: crd.Spec.Scope == apiextensionsv1.ClusterScoped},
		Serializer:               serializer,
		ParameterCodec:           runtime.NewParameterCodec(parameters),
		StandardSerializers:      serializer.SupportedMediaTypes(),
		Creater:                  creator{},
		Convertor:                safeConverter,
		Defaulter:                d,
		Typer:                    t,
		UnsafeConvertor:          unsafeConverter,
		EquivalentResourceMapper: equivalents,
		Resource:                 gv.WithResource(names.Plural),
		Kind:                     kind,
		HubGroupVersion:          gv,
		MetaGroupVersion:         metav1.SchemeGroupVersion,
		TableConvertor:           storage.CustomResource,
		Authorizer:               s.Authorizer,
		MaxRequestBodyBytes:      s.MaxRequestBodyBytes,
	}
	return withFieldManagers(storage, status, scope, typeConverter, safeConverter, d, kind, gv)
}

// versionValidation is what the strategy of one CRD version validates with: the schema validators of the object
// and of its status, and the status and scale subresources when the version has them.
type versionValidation struct {
	object            apiservervalidation.SchemaValidator
	status            apiservervalidation.SchemaValidator
	statusSubresource *apiextensionsinternal.CustomResourceSubresourceStatus
	scaleSubresource  *apiextensionsinternal.CustomResourceSubresourceScale
}

// newVersionValidation builds the validation of a CRD's version from its internal schema.
func newVersionValidation(crd *apiextensionsv1.CustomResourceDefinition, version string, internal *apiextensionsinternal.CustomResourceValidation) (versionValidation, error) {
	var out versionValidation
	var err error
	if out.object, _, err = apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema); err != nil {
		return versionValidation{}, err
	}
	subresources, err := apihelpers.GetSubresourcesForVersion(crd, version)
	if err != nil {
		return versionValidation{}, err
	}
	if subresources != nil && subresources.Status != nil {
		out.statusSubresource = &apiextensionsinternal.CustomResourceSubresourceStatus{}
		if statusSchema, ok := internal.OpenAPIV3Schema.Properties["status"]; ok {
			if out.status, _, err = apiservervalidation.NewSchemaValidator(&statusSchema); err != nil {
				return versionValidation{}, err
			}
		}
	}
	if subresources != nil && subresources.Scale != nil {
		out.scaleSubresource = &apiextensionsinternal.CustomResourceSubresourceScale{}
		if err := apiextensionsv1.Convert_v1_CustomResourceSubresourceScale_To_apiextensions_CustomResourceSubresourceScale(subresources.Scale, out.scaleSubresource, nil); err != nil {
			return versionValidation{}, err
		}
	}
	return out, nil
}

// withFieldManagers completes a served version from its storage (statusStore its status subresource's, or nil) and main request scope: the main scope gets its
// field manager, and the status and scale subresources, when the storage has them, get scopes of their own.
func withFieldManagers(storage customresource.CustomResourceStorage, statusStore statusStorage, scope *handlers.RequestScope, typeConverter managedfields.TypeConverter,
	converter runtime.ObjectConvertor, d runtime.ObjectDefaulter, kind schema.GroupVersionKind, gv schema.GroupVersion) (*servedVersion, error) {
	var err error
	if scope.FieldManager, err = managedfields.NewDefaultCRDFieldManager(typeConverter, converter, d, creator{}, kind, gv, "",
		fieldpath.NewExcludeFilterSetMap(storage.CustomResource.GetResetFields())); err != nil {
		return nil, err
	}
	out := &servedVersion{storage: storage, status: statusStore, scope: scope}
	if statusStore != nil {
		status := *scope
		status.Subresource = "status"
		if status.FieldManager, err = managedfields.NewDefaultCRDFieldManager(typeConverter, converter, d, creator{}, kind, gv, "status",
			fieldpath.NewExcludeFilterSetMap(statusStore.GetResetFields())); err != nil {
			return nil, err
		}
		out.statusScope = &status
	}
	if storage.Scale != nil {
		if out.scaleScope, err = scaleScope(scope, typeConverter); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// printerColumns are a version's additional printer columns, or AGE alone, as in Kubernetes.
func printerColumns(v apiextensionsv1.CustomResourceDefinitionVersion) []apiextensionsv1.CustomResourceColumnDefinition {
	if len(v.AdditionalPrinterColumns) > 0 {
		return v.AdditionalPrinterColumns
	}
	return []apiextensionsv1.CustomResourceColumnDefinition{{Name: "Age", Type: "date", JSONPath: ".metadata.creationTimestamp"}}
}

// typeConverter builds the server-side apply type information of a CRD from its OpenAPI schemas. A CRD whose schema
// cannot be turned into one falls back to deduced types, as upstream does.
func (s *Server) typeConverter(crd *apiextensionsv1.CustomResourceDefinition) managedfields.TypeConverter {
	models := map[string]*spec.Schema{}
	for name, schema := range s.StaticSchemas {
		models[name] = schema
	}
	for _, v := range crd.Spec.Versions {
		doc, err := builder.BuildOpenAPIV3(crd, v.Name, builder.Options{V2: false, StripValueValidation: true, StripNullable: true})
		if err != nil {
			klog.V(2).Info("No OpenAPI for server-side apply, deducing types", "crd", crd.Name, "err", err)
			return managedfields.NewDeducedTypeConverter()
		}
		for name, schema := range doc.Components.Schemas {
			models[name] = schema
		}
	}
	tc, err := managedfields.NewTypeConverter(models, crd.Spec.PreserveUnknownFields)
	if err != nil {
		klog.V(2).Info("No type converter for server-side apply, deducing types", "crd", crd.Name, "err", err)
		return managedfields.NewDeducedTypeConverter()
	}
	return tc
}
