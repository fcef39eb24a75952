package virtualworkspace

import (
	"context"
	"net/http"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/endpoints/handlers"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// CRDResource is the resource under which a virtual workspace with ServesCRDs lists the CRDs it serves.
var CRDResource = apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")

// crdVerbs are the verbs allowed on CRDResource.
var crdVerbs = []string{"get", "list"}

// isCRDRequest reports whether a request of group/resource asks for the CRDs a definition serves.
func (d *Definition) isCRDRequest(group, resource string) bool {
	return d.ServesCRDs && group == CRDResource.Group && resource == CRDResource.Resource
}

// ServedCRDs returns the CRDs of the resources a target's view serves in cluster (every one for
// logicalcluster.Wildcard, those Serves allows otherwise), sorted by name, each as DownstreamCRD makes it. A
// core-group resource (services) has none: no cluster can install a CRD of the core group, it serves them natively.
func (d *Definition) ServedCRDs(t Target, cluster logicalcluster.Name) []*apiextensionsv1.CustomResourceDefinition {
	if t.Cluster == "" {
		return nil
	}
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, crd := range d.Resources(t) {
		if crd.Spec.Group == "" || cluster != logicalcluster.Wildcard && d.Serves != nil && !d.Serves(t, cluster, crd) {
			continue
		}
		out = append(out, DownstreamCRD(crd))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// DownstreamCRD returns what another cluster may install as-is to serve a CRD's resource: its name
// (<plural>.<group>) and its spec without conversion webhook, and nothing of Gantry's (UID, resource version,
// annotations, labels, identity) nor its status.
func DownstreamCRD(crd *apiextensionsv1.CustomResourceDefinition) *apiextensionsv1.CustomResourceDefinition {
	spec := *crd.Spec.DeepCopy()
	if accepted := crd.Status.AcceptedNames; accepted.Plural != "" {
		spec.Names = *accepted.DeepCopy()
	}
	spec.Conversion = nil
	return &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: CRDResource.GroupVersion().String(), Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: spec.Names.Plural + "." + spec.Group},
		Spec:       spec,
	}
}

// crdScope is what the endpoint handlers need to serve CRDResource, read-only.
var crdScope = &handlers.RequestScope{
	Namer:            handlers.ContextBasedNaming{Namer: meta.NewAccessor(), ClusterScoped: true},
	Serializer:       registry.APIExtensionsCodecs,
	ParameterCodec:   metav1.ParameterCodec,
	Creater:          registry.APIExtensionsScheme,
	Convertor:        registry.APIExtensionsScheme,
	Defaulter:        registry.APIExtensionsScheme,
	Typer:            registry.APIExtensionsScheme,
	UnsafeConvertor:  runtime.UnsafeObjectConvertor(registry.APIExtensionsScheme),
	Resource:         CRDResource,
	Kind:             apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"),
	HubGroupVersion:  schema.GroupVersion{Group: CRDResource.Group, Version: runtime.APIVersionInternal},
	MetaGroupVersion: metav1.SchemeGroupVersion,
	TableConvertor:   rest.NewDefaultTableConvertor(CRDResource.GroupResource()),
}

// serveCRDs answers get and list of CRDResource for a target, in cluster, with the endpoint handlers.
func (d *Definition) serveCRDs(w http.ResponseWriter, req *http.Request, info *genericapirequest.RequestInfo, t Target, cluster logicalcluster.Name) {
	storage := &crdStorage{list: func() []*apiextensionsv1.CustomResourceDefinition { return d.ServedCRDs(t, cluster) }}
	switch {
	case info.Namespace != "" || info.Subresource != "":
		writeError(w, req, notFoundResource(info))
	case info.Verb == "get":
		handlers.GetResource(storage, crdScope)(w, req)
	case info.Verb == "list":
		handlers.ListResource(storage, storage, crdScope, false, 0)(w, req)
	default:
		writeError(w, req, apierrors.NewMethodNotSupported(CRDResource.GroupResource(), info.Verb))
	}
}

// crdStorage is the read-only REST storage of the CRDs list returns.
type crdStorage struct {
	list func() []*apiextensionsv1.CustomResourceDefinition
}

var _ interface {
	rest.Getter
	rest.Lister
	rest.Watcher
} = &crdStorage{}

// New implements rest.Storage.
func (s *crdStorage) New() runtime.Object { return &apiextensionsv1.CustomResourceDefinition{} }

// Destroy implements rest.Storage.
func (s *crdStorage) Destroy() {}

// NewList implements rest.Lister.
func (s *crdStorage) NewList() runtime.Object { return &apiextensionsv1.CustomResourceDefinitionList{} }

// ConvertToTable implements rest.TableConvertor.
func (s *crdStorage) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	return crdScope.TableConvertor.ConvertToTable(ctx, object, tableOptions)
}

// Get implements rest.Getter.
func (s *crdStorage) Get(_ context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	for _, crd := range s.list() {
		if crd.Name == name {
			return crd, nil
		}
	}
	return nil, apierrors.NewNotFound(CRDResource.GroupResource(), name)
}

// List implements rest.Lister. Label and field selectors apply to the name alone: served CRDs carry no labels.
func (s *crdStorage) List(_ context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	out := &apiextensionsv1.CustomResourceDefinitionList{
		TypeMeta: metav1.TypeMeta{APIVersion: CRDResource.GroupVersion().String(), Kind: "CustomResourceDefinitionList"},
		Items:    []apiextensionsv1.CustomResourceDefinition{},
	}
	for _, crd := range s.list() {
		if options != nil && options.LabelSelector != nil && !options.LabelSelector.Matches(labels.Set(nil)) {
			continue
		}
		if options != nil && options.FieldSelector != nil && !options.FieldSelector.Matches(fields.Set{"metadata.name": crd.Name}) {
			continue
		}
		out.Items = append(out.Items, *crd)
	}
	return out, nil
}

// Watch implements rest.Watcher, refusing: the served CRDs are read with get and list alone.
func (s *crdStorage) Watch(context.Context, *metainternalversion.ListOptions) (watch.Interface, error) {
	return nil, apierrors.NewMethodNotSupported(CRDResource.GroupResource(), "watch")
}
