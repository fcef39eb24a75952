package customresources

import (
	"net/http"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/endpoints/handlers"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
)

// patchTypes are the patches custom resources accept; strategic merge patch needs Go struct tags they lack.
var patchTypes = []string{string(types.JSONPatchType), string(types.MergePatchType), string(types.ApplyYAMLPatchType)}

// Wrap returns next wrapped so that custom resources, and their discovery, are served in each workspace. It must
// sit inside the request-info, authentication and authorization filters, where the API handler sits.
func (s *Server) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		cluster, ok := logicalcluster.From(ctx)
		info, hasInfo := genericapirequest.RequestInfoFrom(ctx)
		if e, virtual := virtualworkspace.ExportFrom(ctx); virtual {
			if !ok || !hasInfo {
				next.ServeHTTP(w, req) // an unknown workspace: WithUnknownWorkspace answers
				return
			}
			s.serveVirtual(w, req, e, cluster, info)
			return
		}
		if !ok || !hasInfo || cluster == logicalcluster.Wildcard {
			next.ServeHTTP(w, req)
			return
		}
		if !info.IsResourceRequest {
			if !s.serveDiscovery(w, req, cluster, next) && !s.serveOpenAPI(w, req, cluster, next) && !s.serveOpenAPIV2(w, req, cluster, next) {
				next.ServeHTTP(w, req)
			}
			return
		}
		if info.APIPrefix != "apis" || s.reserved[info.APIGroup] {
			next.ServeHTTP(w, req)
			return
		}
		crd := s.crdFor(cluster, info.APIGroup, info.Resource)
		if crd == nil || !servable(crd) || !apihelpers.HasServedCRDVersion(crd, info.APIVersion) {
			next.ServeHTTP(w, req)
			return
		}
		// A request of the wrong scope gets a 404 from the regular mux, as in Kubernetes.
		s.serveCRD(w, req, info, crd, func() { next.ServeHTTP(w, req) })
	})
}

// serveCRD serves a request for a CRD's resource from its storage; a request of the wrong scope, or for a version
// the storage lacks, goes to notServed.
func (s *Server) serveCRD(w http.ResponseWriter, req *http.Request, info *genericapirequest.RequestInfo, crd *apiextensionsv1.CustomResourceDefinition, notServed func()) {
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
	s.serveResource(w, req, info, version)
}

// servable reports whether a CRD's names are accepted and it is established.
func servable(crd *apiextensionsv1.CustomResourceDefinition) bool {
	return apihelpers.IsCRDConditionTrue(crd, apiextensionsv1.Established) && crd.Status.AcceptedNames.Plural != ""
}

func (s *Server) serveResource(w http.ResponseWriter, req *http.Request, info *genericapirequest.RequestInfo, v *servedVersion) {
	admit := s.Admission
	if admit == nil {
		admit = admission.NewChainHandler()
	}
	var handler http.HandlerFunc
	switch info.Subresource {
	case "":
		store, scope := v.storage.CustomResource, v.scope
		switch info.Verb {
		case "get":
			handler = handlers.GetResource(store, scope)
		case "list":
			handler = handlers.ListResource(store, store, scope, false, s.MinRequestTimeout)
		case "watch":
			handler = handlers.ListResource(store, store, scope, true, s.MinRequestTimeout)
		case "create":
			handler = handlers.CreateResource(store, scope, admit)
		case "update":
			handler = handlers.UpdateResource(store, scope, admit)
		case "patch":
			handler = handlers.PatchResource(store, scope, admit, patchTypes)
		case "delete":
			handler = handlers.DeleteResource(store, true, scope, admit)
		case "deletecollection":
			handler = handlers.DeleteCollection(store, true, scope, admit)
		}
	case "status":
		if v.statusScope != nil {
			handler = subresourceHandler(info.Verb, v.storage.Status, v.statusScope, admit)
		}
	case "scale":
		if v.scaleScope != nil {
			handler = subresourceHandler(info.Verb, v.storage.Scale, v.scaleScope, admit)
		}
	}
	if handler == nil {
		s.fail(w, req, apierrors.NewMethodNotSupported(schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}, info.Verb))
		return
	}
	handler(w, req)
}

func (s *Server) fail(w http.ResponseWriter, req *http.Request, err error) {
	responsewriters.ErrorNegotiated(err, registry.Codecs, schema.GroupVersion{}, w, req)
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
		return handlers.PatchResource(store, scope, admit, patchTypes)
	}
	return nil
}
