package admissionwebhook

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	admissionregistrationinformers "k8s.io/client-go/informers/admissionregistration"
	admissionregistrationv1informers "k8s.io/client-go/informers/admissionregistration/v1"
	coreinformers "k8s.io/client-go/informers/core"
	corev1informers "k8s.io/client-go/informers/core/v1"
	admissionregistrationv1listers "k8s.io/client-go/listers/admissionregistration/v1"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// workspaceInformers is the informer factory the upstream webhook plugin of one workspace is initialized with: it
// answers the three informers the plugin uses from Gantry's wildcard indexes instead of informers of their own.
// Namespaces are read live from the index, so that a namespaceSelector sees the workspace's namespaces as they are;
// the webhook configurations are the snapshot the plugin was built from (a change builds a new plugin). Anything
// else is the embedded factory's, which is never started.
type workspaceInformers struct {
	informers.SharedInformerFactory
	namespaces corev1informers.TypedNamespaceInformer
	validating admissionregistrationv1informers.TypedValidatingWebhookConfigurationInformer
	mutating   admissionregistrationv1informers.TypedMutatingWebhookConfigurationInformer
}

// Core implements informers.SharedInformerFactory.
func (f *workspaceInformers) Core() coreinformers.Interface {
	return coreGroup{Interface: f.SharedInformerFactory.Core(), namespaces: f.namespaces}
}

// Admissionregistration implements informers.SharedInformerFactory.
func (f *workspaceInformers) Admissionregistration() admissionregistrationinformers.Interface {
	return admissionGroup{Interface: f.SharedInformerFactory.Admissionregistration(), factory: f}
}

type coreGroup struct {
	coreinformers.Interface
	namespaces corev1informers.TypedNamespaceInformer
}

func (g coreGroup) V1() corev1informers.Interface {
	return coreV1{Interface: g.Interface.V1(), namespaces: g.namespaces}
}

type coreV1 struct {
	corev1informers.Interface
	namespaces corev1informers.TypedNamespaceInformer
}

func (v coreV1) Namespaces() corev1informers.TypedNamespaceInformer { return v.namespaces }

type admissionGroup struct {
	admissionregistrationinformers.Interface
	factory *workspaceInformers
}

func (g admissionGroup) V1() admissionregistrationv1informers.Interface {
	return admissionV1{Interface: g.Interface.V1(), factory: g.factory}
}

type admissionV1 struct {
	admissionregistrationv1informers.Interface
	factory *workspaceInformers
}

func (v admissionV1) ValidatingWebhookConfigurations() admissionregistrationv1informers.TypedValidatingWebhookConfigurationInformer {
	return v.factory.validating
}

func (v admissionV1) MutatingWebhookConfigurations() admissionregistrationv1informers.TypedMutatingWebhookConfigurationInformer {
	return v.factory.mutating
}

// indexInformer stands for an informer whose objects are in a Gantry index: it has synced when the index has, and
// a handler added to it is told nothing (the plugin it serves is rebuilt on a change instead). The embedded
// informer, never started, answers anything else.
type indexInformer struct {
	cache.SharedIndexInformer
	synced func() bool
}

// HasSynced implements cache.SharedInformer.
func (i indexInformer) HasSynced() bool { return i.synced() }

// AddEventHandler implements cache.SharedInformer.
func (i indexInformer) AddEventHandler(cache.ResourceEventHandler) (cache.ResourceEventHandlerRegistration, error) {
	return registration{synced: i.synced}, nil
}

// registration is what indexInformer.AddEventHandler returns.
type registration struct{ synced func() bool }

func (r registration) HasSynced() bool { return r.synced() }

func (r registration) HasSyncedChecker() cache.DoneChecker { return r }

// Name implements cache.DoneChecker.
func (r registration) Name() string { return "gantry webhook index" }

// Done implements cache.DoneChecker: closed once the index has synced, which it has when a plugin is built.
func (r registration) Done() <-chan struct{} {
	done := make(chan struct{})
	if r.synced() {
		close(done)
	}
	return done
}

// namespaceInformer lists one workspace's namespaces from the wildcard index; its typed informer is the
// embedded one, which the upstream plugin does not use.
type namespaceInformer struct {
	corev1informers.TypedNamespaceInformer
	informer   indexInformer
	cluster    logicalcluster.Name
	namespaces *clusterwatch.Store[*corev1.Namespace]
}

func (n namespaceInformer) Informer() cache.SharedIndexInformer { return n.informer }

func (n namespaceInformer) Lister() corev1listers.NamespaceLister { return n }

// List returns the workspace's namespaces that match selector.
func (n namespaceInformer) List(selector labels.Selector) ([]*corev1.Namespace, error) {
	var out []*corev1.Namespace
	for _, ns := range n.namespaces.List(n.cluster) {
		if selector.Matches(labels.Set(ns.Labels)) {
			out = append(out, ns)
		}
	}
	return out, nil
}

// Get returns a namespace of the workspace, or NotFound (the upstream matcher then asks the workspace's server).
func (n namespaceInformer) Get(name string) (*corev1.Namespace, error) {
	if ns, ok := n.namespaces.Get(n.cluster, name); ok {
		return ns, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("namespaces"), name)
}

// validatingConfigurations is the snapshot of a workspace's ValidatingWebhookConfigurations a plugin is built from.
type validatingConfigurations struct {
	admissionregistrationv1informers.TypedValidatingWebhookConfigurationInformer
	informer indexInformer
	items    []*admissionregistrationv1.ValidatingWebhookConfiguration
}

func (v validatingConfigurations) Informer() cache.SharedIndexInformer { return v.informer }

func (v validatingConfigurations) Lister() admissionregistrationv1listers.ValidatingWebhookConfigurationLister {
	return v
}

// List returns the configurations that match selector.
func (v validatingConfigurations) List(selector labels.Selector) ([]*admissionregistrationv1.ValidatingWebhookConfiguration, error) {
	return matching(v.items, selector), nil
}

// Get returns the named configuration.
func (v validatingConfigurations) Get(name string) (*admissionregistrationv1.ValidatingWebhookConfiguration, error) {
	return named(v.items, name, "validatingwebhookconfigurations")
}

// mutatingConfigurations is the snapshot of a workspace's MutatingWebhookConfigurations a plugin is built from.
type mutatingConfigurations struct {
	admissionregistrationv1informers.TypedMutatingWebhookConfigurationInformer
	informer indexInformer
	items    []*admissionregistrationv1.MutatingWebhookConfiguration
}

func (m mutatingConfigurations) Informer() cache.SharedIndexInformer { return m.informer }

func (m mutatingConfigurations) Lister() admissionregistrationv1listers.MutatingWebhookConfigurationLister {
	return m
}

// List returns the configurations that match selector.
func (m mutatingConfigurations) List(selector labels.Selector) ([]*admissionregistrationv1.MutatingWebhookConfiguration, error) {
	return matching(m.items, selector), nil
}

// Get returns the named configuration.
func (m mutatingConfigurations) Get(name string) (*admissionregistrationv1.MutatingWebhookConfiguration, error) {
	return named(m.items, name, "mutatingwebhookconfigurations")
}

func matching[C object](items []C, selector labels.Selector) []C {
	var out []C
	for _, c := range items {
		if selector.Matches(labels.Set(c.GetLabels())) {
			out = append(out, c)
		}
	}
	return out
}

func named[C object](items []C, name, resource string) (C, error) {
	for _, c := range items {
		if c.GetName() == name {
			return c, nil
		}
	}
	var none C
	return none, apierrors.NewNotFound(admissionregistrationv1.Resource(resource), name)
}
