package admissionwebhook

import (
	"sort"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/generic"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/mutating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/validating"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/client-go/informers"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk"
)

// object is what webhook configurations are: API objects with metadata.
type object interface {
	runtime.Object
	metav1.Object
}

// Source keeps, for every workspace that has webhook configurations of kind C, the upstream webhook plugin over
// those configurations, built on the first request after a change of that workspace's.
type Source[C object] struct {
	configurations *clusterwatch.Store[C]
	namespaces     *clusterwatch.Store[*corev1.Namespace]
	clients        *sdk.Client
	authorizer     authorizer.Authorizer
	// newWebhook returns a new upstream plugin of the kind (validating or mutating).
	newWebhook func() (*generic.Webhook, error)
	// informers returns the informers of a workspace's configurations, a snapshot of items.
	informers func(items []C, synced func() bool, unused informers.SharedInformerFactory) admissionregistrationv1Informers

	// mu guards workspaces and changes; requests only read-lock it, unless their workspace's plugin must be rebuilt.
	mu         sync.RWMutex
	workspaces map[logicalcluster.Name]*workspacePlugin
	// changes counts the changes of configurations (of any workspace), so that a plugin built from a view older
	// than the index is used once but not kept.
	changes uint64
}

// admissionregistrationv1Informers are the informers of webhook configurations a workspaceInformers holds.
type admissionregistrationv1Informers struct {
	validating validatingConfigurations
	mutating   mutatingConfigurations
}

// workspacePlugin is the upstream plugin one workspace's requests are dispatched with.
type workspacePlugin struct {
	fresh   bool
	webhook *generic.Webhook
}

// ValidatingSource is the Source of ValidatingWebhookConfigurations.
type ValidatingSource = Source[*admissionregistrationv1.ValidatingWebhookConfiguration]

// MutatingSource is the Source of MutatingWebhookConfigurations.
type MutatingSource = Source[*admissionregistrationv1.MutatingWebhookConfiguration]

// NewValidatingSource returns the Source of ValidatingWebhookConfigurations over the given indexes, which must not
// be fed yet. authz decides the matchConditions' `authorizer` checks; clients reads a namespace the index has not
// seen yet.
func NewValidatingSource(configurations *clusterwatch.Store[*admissionregistrationv1.ValidatingWebhookConfiguration],
	namespaces *clusterwatch.Store[*corev1.Namespace], clients *sdk.Client, authz authorizer.Authorizer) *ValidatingSource {
	return newSource(configurations, namespaces, clients, authz, func() (*generic.Webhook, error) {
		p, err := validating.NewValidatingAdmissionWebhook(nil)
		if err != nil {
			return nil, err
		}
		return p.Webhook, nil
	}, func(items []*admissionregistrationv1.ValidatingWebhookConfiguration, synced func() bool, unused informers.SharedInformerFactory) admissionregistrationv1Informers {
		v1 := unused.Admissionregistration().V1()
		validating, mutating := v1.ValidatingWebhookConfigurations(), v1.MutatingWebhookConfigurations()
		return admissionregistrationv1Informers{
			validating: validatingConfigurations{TypedValidatingWebhookConfigurationInformer: validating, informer: indexInformer{validating.Informer(), synced}, items: items},
			mutating:   mutatingConfigurations{TypedMutatingWebhookConfigurationInformer: mutating, informer: indexInformer{mutating.Informer(), synced}}}
	})
}

// NewMutatingSource returns the Source of MutatingWebhookConfigurations (see NewValidatingSource).
func NewMutatingSource(configurations *clusterwatch.Store[*admissionregistrationv1.MutatingWebhookConfiguration],
	namespaces *clusterwatch.Store[*corev1.Namespace], clients *sdk.Client, authz authorizer.Authorizer) *MutatingSource {
	return newSource(configurations, namespaces, clients, authz, func() (*generic.Webhook, error) {
		p, err := mutating.NewMutatingWebhook(nil)
		if err != nil {
			return nil, err
		}
		return p.Webhook, nil
	}, func(items []*admissionregistrationv1.MutatingWebhookConfiguration, synced func() bool, unused informers.SharedInformerFactory) admissionregistrationv1Informers {
		v1 := unused.Admissionregistration().V1()
		validating, mutating := v1.ValidatingWebhookConfigurations(), v1.MutatingWebhookConfigurations()
		return admissionregistrationv1Informers{
			mutating:   mutatingConfigurations{TypedMutatingWebhookConfigurationInformer: mutating, informer: indexInformer{mutating.Informer(), synced}, items: items},
			validating: validatingConfigurations{TypedValidatingWebhookConfigurationInformer: validating, informer: indexInformer{validating.Informer(), synced}}}
	})
}

func newSource[C object](configurations *clusterwatch.Store[C], namespaces *clusterwatch.Store[*corev1.Namespace], clients *sdk.Client,
	authz authorizer.Authorizer, newWebhook func() (*generic.Webhook, error),
	configurationInformers func([]C, func() bool, informers.SharedInformerFactory) admissionregistrationv1Informers) *Source[C] {
	s := &Source[C]{configurations: configurations, namespaces: namespaces, clients: clients, authorizer: authz,
		newWebhook: newWebhook, informers: configurationInformers, workspaces: map[logicalcluster.Name]*workspacePlugin{}}
	configurations.OnChange(s.changed)
	return s
}

// HasSynced reports whether the configurations and namespaces have been listed once.
func (s *Source[C]) HasSynced() bool { return s.configurations.HasSynced() && s.namespaces.HasSynced() }

func (s *Source[C]) changed(cluster logicalcluster.Name, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if w := s.workspaces[cluster]; w != nil {
		w.fresh = false
	}
}

// webhook returns the upstream plugin of a workspace's configurations, or nil when it has none.
func (s *Source[C]) webhook(cluster logicalcluster.Name) (*generic.Webhook, error) {
	s.mu.RLock()
	w := s.workspaces[cluster]
	if w != nil && w.fresh {
		s.mu.RUnlock()
		return w.webhook, nil
	}
	seen := s.changes
	s.mu.RUnlock()

	// Building compiles matchConditions lazily, but still allocates a client manager: outside the lock.
	built, err := s.build(cluster)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.changes != seen:
		// Something changed meanwhile: use what was built for this request, keep nothing.
	case built == nil:
		delete(s.workspaces, cluster)
	default:
		s.workspaces[cluster] = &workspacePlugin{fresh: true, webhook: built}
	}
	return built, nil
}

// build returns a new upstream plugin over a workspace's configurations, or nil when it has none.
func (s *Source[C]) build(cluster logicalcluster.Name) (*generic.Webhook, error) {
	items := s.configurations.List(cluster)
	if len(items) == 0 {
		return nil, nil
	}
	// Configurations are called in name order, as upstream, so that the outcome is the same on every replica.
	sort.Slice(items, func(i, j int) bool { return items[i].GetName() < items[j].GetName() })
	kube, err := s.clients.Kubernetes(string(cluster))
	if err != nil {
		return nil, err
	}
	webhook, err := s.newWebhook()
	if err != nil {
		return nil, err
	}
	// The factory's own informers are never started: the plugin's questions to them are answered from the indexes,
	// and an informer it would use otherwise stays empty instead of failing.
	unused := informers.NewSharedInformerFactory(kube, 0)
	configs := s.informers(items, s.HasSynced, unused)
	namespaces := unused.Core().V1().Namespaces()
	webhook.SetServiceResolver(noServices{})
	webhook.SetAuthenticationInfoResolverWrapper(guardDialer)
	webhook.SetExternalKubeClientSet(kube)
	webhook.SetExternalKubeInformerFactory(&workspaceInformers{
		SharedInformerFactory: unused,
		namespaces: namespaceInformer{TypedNamespaceInformer: namespaces, informer: indexInformer{namespaces.Informer(), s.HasSynced},
			cluster: cluster, namespaces: s.namespaces},
		validating: configs.validating,
		mutating:   configs.mutating,
	})
	if s.authorizer != nil {
		webhook.SetUnconditionalAuthorizer(s.authorizer)
	}
	if err := webhook.ValidateInitialization(); err != nil {
		return nil, err
	}
	return webhook, nil
}
