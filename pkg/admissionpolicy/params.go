package admissionpolicy

import (
	"context"
	"fmt"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// paramReadTimeout bounds one read of a policy's parameters during admission.
const paramReadTimeout = 5 * time.Second

// namespaceLister lists one workspace's namespaces from the wildcard index, for the upstream matcher's
// namespaceSelector and the CEL variable namespaceObject.
type namespaceLister struct {
	cluster    logicalcluster.Name
	namespaces *clusterwatch.Store[*corev1.Namespace]
}

// List returns the workspace's namespaces that match selector.
func (l namespaceLister) List(selector labels.Selector) ([]*corev1.Namespace, error) {
	var out []*corev1.Namespace
	for _, ns := range l.namespaces.List(l.cluster) {
		if selector.Matches(labels.Set(ns.Labels)) {
			out = append(out, ns)
		}
	}
	return out, nil
}

// Get returns a namespace of the workspace, or NotFound (the matcher then asks the server).
func (l namespaceLister) Get(name string) (*corev1.Namespace, error) {
	if ns, ok := l.namespaces.Get(l.cluster, name); ok {
		return ns, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
}

// params resolves a policy's paramKind in a workspace, through that workspace's discovery: its resource and
// scope, and a lister that reads the parameters from the workspace when a request needs them. No informer is
// started: parameters are read when a binding that names them matches a request.
func (s *Source[P, B, E]) params(cluster logicalcluster.Name, kind *admissionregistrationv1.ParamKind) (informers.GenericInformer, meta.RESTScope, error) {
	gv, err := schema.ParseGroupVersion(kind.APIVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to parse paramKind APIVersion: %w", err)
	}
	kube, err := s.clients.Kubernetes(string(cluster))
	if err != nil {
		return nil, nil, err
	}
	resources, err := kube.Discovery().ServerResourcesForGroupVersion(gv.String())
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, nil, fmt.Errorf("failed to find resource referenced by paramKind %s: %w", gv.WithKind(kind.Kind), err)
	}
	if resources != nil {
		for _, r := range resources.APIResources {
			if r.Kind != kind.Kind || r.Group != "" && r.Group != gv.Group || containsSlash(r.Name) {
				continue
			}
			client, err := s.clients.Dynamic(string(cluster))
			if err != nil {
				return nil, nil, err
			}
			scope := meta.RESTScopeRoot
			if r.Namespaced {
				scope = meta.RESTScopeNamespace
			}
			return paramInformer{resource: client.Resource(gv.WithResource(r.Name))}, scope, nil
		}
	}
	return nil, nil, fmt.Errorf("failed to find resource referenced by paramKind: '%v'", gv.WithKind(kind.Kind))
}

func containsSlash(s string) bool {
	for _, c := range s {
		if c == '/' {
			return true
		}
	}
	return false
}

// paramInformer gives the upstream dispatcher a workspace's parameters through the GenericInformer interface it
// takes: the lister reads live from the workspace, so the informer is always synced.
type paramInformer struct {
	resource dynamic.NamespaceableResourceInterface
}

// Informer returns an informer that only reports being synced: CollectParams asks nothing else of it.
func (p paramInformer) Informer() cache.SharedIndexInformer { return alwaysSynced{} }

// Lister returns the cluster-wide lister of the parameters.
func (p paramInformer) Lister() cache.GenericLister { return paramLister{resource: p.resource} }

// alwaysSynced is the informer of a live lister. Only HasSynced is implemented; the embedded nil interface makes
// any other use fail loudly rather than answer wrongly.
type alwaysSynced struct{ cache.SharedIndexInformer }

// HasSynced implements cache.SharedIndexInformer: a live lister has nothing to wait for.
func (alwaysSynced) HasSynced() bool { return true }

// paramLister reads parameters from one workspace, in one namespace or all.
type paramLister struct {
	resource  dynamic.NamespaceableResourceInterface
	namespace string
}

func (l paramLister) client() dynamic.ResourceInterface {
	if l.namespace == "" {
		return l.resource
	}
	return l.resource.Namespace(l.namespace)
}

// List reads the parameters that match selector.
func (l paramLister) List(selector labels.Selector) ([]runtime.Object, error) {
	ctx, cancel := context.WithTimeout(context.Background(), paramReadTimeout)
	defer cancel()
	list, err := l.client().List(ctx, metav1.ListOptions{LabelSelector: selector.String()})
	if err != nil {
		return nil, err
	}
	out := make([]runtime.Object, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, &list.Items[i])
	}
	return out, nil
}

// Get reads one parameter object.
func (l paramLister) Get(name string) (runtime.Object, error) {
	ctx, cancel := context.WithTimeout(context.Background(), paramReadTimeout)
	defer cancel()
	return l.client().Get(ctx, name, metav1.GetOptions{})
}

// ByNamespace returns the lister of one namespace.
func (l paramLister) ByNamespace(namespace string) cache.GenericNamespaceLister {
	return paramLister{resource: l.resource, namespace: namespace}
}
