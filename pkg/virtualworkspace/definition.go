package virtualworkspace

import (
	"context"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Prefix starts every virtual workspace URL: /services/<name>/<workspace path>/<object>/clusters/<ref>/...
const Prefix = "/services/"

// Definition declares one virtual workspace.
type Definition struct {
	// Name is the URL segment after /services/ ("apiexport").
	Name string
	// Object is the kind of object the path names (in its workspace), on which Verb is checked.
	Object schema.GroupVersionResource
	// Verb is what a user needs on the object to use the virtual workspace ("content").
	Verb string
	// Resources returns the CRDs served for a target: their objects in every workspace are the view's content.
	Resources func(t Target) []*apiextensionsv1.CustomResourceDefinition
	// Builtins returns the built-in resources served for a target besides its CRDs, in every workspace; only those
	// the Registry was handed storage for (SetBuiltins) are served, without subresources.
	Builtins func(t Target) []schema.GroupVersionResource
	// Serves reports whether one workspace's objects of a served CRD are visible (a request naming that workspace
	// rather than "*"); nil makes every workspace visible.
	Serves func(t Target, cluster logicalcluster.Name, crd *apiextensionsv1.CustomResourceDefinition) bool
	// Selector returns the labels visible objects carry; nil (or a nil result) makes every object visible.
	Selector func(t Target) labels.Selector
	// Verbs are the verbs allowed on the served resources.
	Verbs []string
	// Subresources are the subresources allowed besides the resources themselves.
	Subresources []string
	// ValidateUpdate, when set, checks every update and patch of a served object itself (not of its status),
	// old being the stored object and new the object to be stored; an error refuses the write with a Forbidden
	// naming it. It also decides whether an update may take the object out of the view (Selector), which is
	// otherwise refused.
	ValidateUpdate func(t Target, old, new *unstructured.Unstructured) error
	// ServesCRDs also serves, read-only (get, list), the CRDs of the served resources as another cluster may
	// install them (DownstreamCRD), at apiextensions.k8s.io/v1 customresourcedefinitions (CRDResource).
	ServesCRDs bool
	// EventWrites lets the view create and patch core/v1 events (EventsResource) about the objects visible in it,
	// in their workspace and namespace, and nothing else of events (serveEvents); the Registry needs the events
	// storage (SetBuiltins).
	EventWrites bool
}

// accessDenied answers every refused request, whether or not the object exists.
func (d *Definition) accessDenied() string {
	return "access to the virtual workspace is denied: it needs the verb \"" + d.Verb + "\" on the " + d.Object.Resource + " object"
}

// Target is the object a virtual workspace request acts for, as its path names it.
type Target struct {
	// Definition is the virtual workspace.
	Definition *Definition
	// Path is the object's workspace path, as the URL gave it.
	Path logicalcluster.Path
	// Cluster is the object's logical cluster; empty when that workspace does not exist.
	Cluster logicalcluster.Name
	// Name is the object's name.
	Name string
}

// Key is the object's key, logicalcluster.Key of its cluster and name.
func (t Target) Key() string { return logicalcluster.Key(t.Cluster, t.Name) }

type targetKey struct{}

// WithTarget returns ctx for a request to a virtual workspace.
func WithTarget(ctx context.Context, t Target) context.Context {
	return context.WithValue(ctx, targetKey{}, t)
}

// TargetFrom returns the target of a virtual workspace request.
func TargetFrom(ctx context.Context) (Target, bool) {
	t, ok := ctx.Value(targetKey{}).(Target)
	return t, ok
}
