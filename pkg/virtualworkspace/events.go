package virtualworkspace

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/handlers"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/gantry-dev/gantry/pkg/customresources"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// EventsResource is the core/v1 events resource a view with EventWrites lets its user write.
var EventsResource = corev1.SchemeGroupVersion.WithResource("events")

// eventVerbs are all a view allows on events: create one, and patch one it wrote (its count, its last time).
// Patching needs no get: the server reads the stored event itself.
var eventVerbs = []string{"create", "patch"}

// isEventsRequest reports whether a request names core/v1 events.
func isEventsRequest(group, resource string) bool {
	return group == EventsResource.Group && resource == EventsResource.Resource
}

// eventRefusal says why an events request is refused by the authorizer, or "": only create and patch, of events
// themselves, in a view that allows them. Which object an event is about is checked once its body is read
// (serveEvents).
func (d *Definition) eventRefusal(a authorizer.Attributes) string {
	if !d.EventWrites {
		return fmt.Sprintf("the %s does not offer this resource", d.Object.Resource)
	}
	if !slices.Contains(eventVerbs, a.GetVerb()) || a.GetSubresource() != "" {
		return fmt.Sprintf("the virtual workspace allows only %v on events, about the objects in its view", eventVerbs)
	}
	return ""
}

// serveEvents serves create and patch of core/v1 events through a target's view: in one workspace and namespace,
// and only events about an object visible in the view (eventSubjectVisible), before and after a patch.
func (r *Registry) serveEvents(w http.ResponseWriter, req *http.Request, info *genericapirequest.RequestInfo, t Target, cluster logicalcluster.Name) {
	gr := EventsResource.GroupResource()
	b := r.builtins[EventsResource]
	if b == nil || info.APIPrefix != "api" || info.APIVersion != EventsResource.Version {
		writeError(w, req, notFoundResource(info))
		return
	}
	if cluster == logicalcluster.Wildcard || info.Namespace == "" {
		writeError(w, req, apierrors.NewForbidden(gr, info.Name, fmt.Errorf("events are written in one workspace and namespace, not across them")))
		return
	}
	creater, ok := b.store.(rest.Creater)
	if !ok {
		writeError(w, req, apierrors.NewMethodNotSupported(gr, info.Verb))
		return
	}
	store := &eventStore{ReadUpdateStorage: b.store, creater: creater, check: func(ctx context.Context, obj runtime.Object) error {
		return r.eventSubjectVisible(ctx, t, cluster, info, obj)
	}}
	var admit admission.Interface = admission.NewChainHandler()
	if r.Resources != nil && r.Resources.Admission != nil {
		admit = r.Resources.Admission
	}
	switch info.Verb {
	case "create":
		handlers.CreateResource(store, b.scope, admit)(w, req)
	case "patch":
		handlers.PatchResource(store, b.scope, admit, builtinPatchTypes)(w, req)
	default:
		writeError(w, req, apierrors.NewForbidden(gr, info.Name, fmt.Errorf("the virtual workspace allows only %v on events", eventVerbs)))
	}
}

// eventSubjectVisible refuses, with a Forbidden, an event that is not about an object in the target's view: its
// involvedObject must be in the request's namespace, of a resource the view serves in this workspace, exist with
// the view's labels, and have the UID the event names, if it names one.
func (r *Registry) eventSubjectVisible(ctx context.Context, t Target, cluster logicalcluster.Name, info *genericapirequest.RequestInfo, obj runtime.Object) error {
	refuse := func(format string, args ...interface{}) error {
		return apierrors.NewForbidden(EventsResource.GroupResource(), info.Name,
			fmt.Errorf("a syncer may write only events about objects placed on its %s: "+format, append([]interface{}{t.Definition.Object.Resource}, args...)...))
	}
	event, ok := obj.(*corev1.Event)
	if !ok {
		return apierrors.NewInternalError(fmt.Errorf("unexpected event type %T", obj))
	}
	ref := event.InvolvedObject
	if ref.Namespace != info.Namespace {
		return refuse("involvedObject.namespace %q is not the event's namespace %q", ref.Namespace, info.Namespace)
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil || ref.Kind == "" || ref.Name == "" {
		return refuse("involvedObject needs apiVersion, kind and name")
	}
	getter, err := r.eventSubjectGetter(t, cluster, gv.WithKind(ref.Kind))
	if err != nil {
		return refuse("%v", err)
	}
	subject, err := getter.Get(genericapirequest.WithNamespace(logicalcluster.WithCluster(ctx, cluster), ref.Namespace), ref.Name, &metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return refuse("%s %s/%s does not exist", ref.Kind, ref.Namespace, ref.Name)
		}
		return err
	}
	m, err := meta.Accessor(subject)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if d := t.Definition; d.Selector != nil {
		if selector := d.Selector(t); selector != nil && !selector.Matches(labels.Set(m.GetLabels())) {
			return refuse("%s %s/%s is not placed on it", ref.Kind, ref.Namespace, ref.Name)
		}
	}
	if ref.UID != "" && ref.UID != m.GetUID() {
		return refuse("%s %s/%s has another UID than involvedObject.uid", ref.Kind, ref.Namespace, ref.Name)
	}
	return nil
}

// eventSubjectGetter returns the storage that reads the objects of a kind the target's view serves in cluster: one
// of its CRDs' (served in that workspace) or of its built-in resources.
func (r *Registry) eventSubjectGetter(t Target, cluster logicalcluster.Name, gvk schema.GroupVersionKind) (rest.Getter, error) {
	d := t.Definition
	if d.Resources != nil && t.Cluster != "" && r.Resources != nil {
		for _, crd := range d.Resources(t) {
			if crd.Spec.Group != gvk.Group || crd.Status.AcceptedNames.Kind != gvk.Kind {
				continue
			}
			if d.Serves != nil && !d.Serves(t, cluster, crd) {
				return nil, fmt.Errorf("%s is not served in this workspace", gvk.GroupKind())
			}
			return r.Resources.Getter(crd, gvk.Version)
		}
	}
	if d.Builtins != nil && t.Cluster != "" {
		for _, gvr := range d.Builtins(t) {
			if b := r.builtins[gvr]; b != nil && b.scope.Kind == gvk {
				return b.store, nil
			}
		}
	}
	return nil, fmt.Errorf("it does not sync %s", gvk)
}

// eventStore is events' storage for serveEvents: it creates, reads and updates, checking each event written and
// each stored event patched with check.
type eventStore struct {
	customresources.ReadUpdateStorage
	creater rest.Creater
	check   func(ctx context.Context, obj runtime.Object) error
}

// Create implements rest.Creater.
func (s *eventStore) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	if err := s.check(ctx, obj); err != nil {
		return nil, err
	}
	return s.creater.Create(ctx, obj, createValidation, options)
}

// Update implements rest.Updater: a patch, which may change an event the view may write into another one it may
// write, never create one.
func (s *eventStore) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	checked := func(ctx context.Context, obj, old runtime.Object) error {
		if err := s.check(ctx, old); err != nil {
			return err
		}
		if err := s.check(ctx, obj); err != nil {
			return err
		}
		if updateValidation != nil {
			return updateValidation(ctx, obj, old)
		}
		return nil
	}
	return s.ReadUpdateStorage.Update(ctx, name, objInfo, createValidation, checked, false, options)
}
