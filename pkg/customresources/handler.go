package customresources

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/endpoints/handlers"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// patchTypes are the patches custom resources accept; strategic merge patch needs Go struct tags they lack, which
// only resources of Kubernetes built-in kinds have (PatchHandler).
var patchTypes = []string{string(types.JSONPatchType), string(types.MergePatchType), string(types.ApplyYAMLPatchType)}

// Wrap returns next wrapped so that the objects of each workspace's custom resources (its own CRDs and its bound
// resources) are served. It sits where the API handler sits, inside the request-info, authentication and
// authorization filters; every other request goes to next.
func (s *Server) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		cluster, ok := logicalcluster.From(ctx)
		info, hasInfo := genericapirequest.RequestInfoFrom(ctx)
		if !ok || !hasInfo || cluster == logicalcluster.Wildcard || !info.IsResourceRequest || !s.mayServe(info) {
			next.ServeHTTP(w, req)
			return
		}
		crd := s.CRDs.ForResource(cluster, info.APIGroup, info.Resource)
		if crd == nil || !crdset.Servable(crd) || !apihelpers.HasServedCRDVersion(crd, info.APIVersion) {
			next.ServeHTTP(w, req)
			return
		}
		// A request of the wrong scope gets a 404 from the regular mux, as in Kubernetes.
		s.ServeResource(w, req, info, crd, nil, func() { next.ServeHTTP(w, req) })
	})
}

// mayServe reports whether a resource request may be for a workspace's custom resource: one of a group Gantry does
// not serve (under /apis), or a core-group resource Gantry does not serve itself (under /api), such as the services
// a workspace binds.
func (s *Server) mayServe(info *genericapirequest.RequestInfo) bool {
	switch info.APIPrefix {
	case "apis":
		return info.APIGroup != "" && !s.reserved.Resource(info.APIGroup, info.Resource)
	case "api":
		return info.APIGroup == "" && !s.reserved.Resource("", info.Resource)
	}
	return false
}

// View narrows what a request may see and change of a resource's objects.
type View struct {
	// Selector is what the labels of visible objects match; nil makes every object visible.
	Selector labels.Selector
	// ValidateUpdate, when set, checks every update and patch of the resource itself (not of its subresources)
	// once the object is fully formed, old being the stored object; an error refuses the write. It then also
	// decides whether an update may take an object out of the view, which is otherwise refused.
	ValidateUpdate func(ctx context.Context, obj, old runtime.Object) error
}

// ServeResource serves a request for a CRD's objects from its storage. A non-nil view narrows the objects the
// request may see and change, and allows only reading, update and patch. A request of the wrong scope, or for a
// version the storage lacks, goes to notServed.
func (s *Server) ServeResource(w http.ResponseWriter, req *http.Request, info *genericapirequest.RequestInfo,
	crd *apiextensionsv1.CustomResourceDefinition, view *View, notServed func()) {
	namespaced := crd.Spec.Scope == apiextensionsv1.NamespaceScoped
	if (!namespaced && info.Namespace != "") || (namespaced && info.Namespace == "" && info.Name != "") {
		notServed()
		return
	}
	served, err := s.servingFor(crd)
	if err != nil {
		s.fail(w, req, apierrors.NewInternalError(err))
		return
	}
	version := served.versions[info.APIVersion]
	if version == nil {
		notServed()
		return
	}
	handler := s.handlerFor(info, version, view)
	if handler == nil {
		s.fail(w, req, apierrors.NewMethodNotSupported(schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}, info.Verb))
		return
	}
	handler(w, req)
}

// handlerFor returns the endpoint handler of a request's verb and subresource, or nil when it is not served.
func (s *Server) handlerFor(info *genericapirequest.RequestInfo, v *servedVersion, view *View) http.HandlerFunc {
	admit := s.Admission
	if admit == nil {
		admit = admission.NewChainHandler()
	}
	switch info.Subresource {
	case "":
		if view != nil {
			return FilteredHandler(info.Verb, NewFilteredStore(v.storage.CustomResource, *view), v.scope, admit, s.MinRequestTimeout)
		}
		return resourceHandler(info.Verb, v.storage.CustomResource, v.scope, admit, s.MinRequestTimeout)
	case "status":
		if v.statusScope == nil {
			return nil
		}
		var store subresourceStorage = v.status
		if view != nil {
			store = &filteredSubresource{store: store, selector: selectorOf(*view)}
		}
		return subresourceHandler(info.Verb, store, v.statusScope, admit)
	case "scale":
		if v.scaleScope == nil || view != nil {
			return nil
		}
		return subresourceHandler(info.Verb, v.storage.Scale, v.scaleScope, admit)
	}
	return nil
}

func (s *Server) fail(w http.ResponseWriter, req *http.Request, err error) {
	responsewriters.ErrorNegotiated(err, registry.Codecs, schema.GroupVersion{}, w, req)
}

// mainStorage is what the storage of a custom resource offers the endpoint handlers.
type mainStorage interface {
	rest.Getter
	rest.Lister
	rest.Watcher
	rest.Creater
	rest.Updater
	rest.GracefulDeleter
	rest.CollectionDeleter
}

// resourceHandler serves a verb of a custom resource, or nil for verbs it lacks.
func resourceHandler(verb string, store mainStorage, scope *handlers.RequestScope, admit admission.Interface, minTimeout time.Duration) http.HandlerFunc {
	switch verb {
	case "create":
		return handlers.CreateResource(store, scope, admit)
	case "delete":
		return handlers.DeleteResource(store, true, scope, admit)
	case "deletecollection":
		return handlers.DeleteCollection(store, true, scope, admit)
	}
	return FilteredHandler(verb, store, scope, admit, minTimeout)
}

// ReadUpdateStorage is what a narrowed view of a resource offers: reading, update and patch.
type ReadUpdateStorage interface {
	rest.Getter
	rest.Lister
	rest.Watcher
	rest.Updater
}

// FilteredHandler serves the verbs a narrowed view allows (get, list, watch, update, patch) with the endpoint
// handlers, or returns nil for others.
func FilteredHandler(verb string, store ReadUpdateStorage, scope *handlers.RequestScope, admit admission.Interface, minTimeout time.Duration) http.HandlerFunc {
	switch verb {
	case "get":
		return handlers.GetResource(store, scope)
	case "list":
		return handlers.ListResource(store, store, scope, false, minTimeout)
	case "watch":
		return handlers.ListResource(store, store, scope, true, minTimeout)
	case "update":
		return handlers.UpdateResource(store, scope, admit)
	case "patch":
		return PatchHandler(store, scope, admit)
	}
	return nil
}

// subresourceStorage is what the status and scale storages both offer.
type subresourceStorage interface {
	rest.Getter
	rest.Updater
	rest.Patcher
}

// subresourceHandler serves get, update and patch of a subresource, or nil for other verbs.
func subresourceHandler(verb string, store subresourceStorage, scope *handlers.RequestScope, admit admission.Interface) http.HandlerFunc {
	switch verb {
	case "get":
		return handlers.GetResource(store, scope)
	case "update":
		return handlers.UpdateResource(store, scope, admit)
	case "patch":
		return PatchHandler(store, scope, admit)
	}
	return nil
}

// Getter returns the storage that reads a CRD's objects in one of its versions (the request's context names the
// workspace and namespace), for checks that must read an object a request refers to; a version the CRD does not
// serve is an error.
func (s *Server) Getter(crd *apiextensionsv1.CustomResourceDefinition, version string) (rest.Getter, error) {
	served, err := s.servingFor(crd)
	if err != nil {
		return nil, err
	}
	v := served.versions[version]
	if v == nil {
		return nil, fmt.Errorf("%s serves no version %q", crd.Name, version)
	}
	return v.storage.CustomResource, nil
}
