package admissionpolicy

import (
	"sort"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/admission/plugin/policy/generic"
	"k8s.io/apiserver/pkg/admission/plugin/policy/matching"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk"
)

// Source keeps the compiled hooks (a policy with its bindings) of every workspace that has bindings, built from
// the wildcard indexes of policies and bindings on the first request after a change of that workspace's.
type Source struct {
	policies   *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicy]
	bindings   *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicyBinding]
	namespaces *clusterwatch.Store[*corev1.Namespace]
	clients    *sdk.Client
	authorizer authorizer.Authorizer

	mu         sync.Mutex
	workspaces map[logicalcluster.Name]*workspaceHooks
	// changes counts the changes of policies and bindings (of any workspace), so that hooks built from a view
	// older than the indexes are used once but not kept.
	changes uint64
}

// workspaceHooks is what one workspace's requests are dispatched with.
type workspaceHooks struct {
	// fresh says the hooks reflect the indexes; a stale entry only lends its compiled policies to the next build.
	fresh      bool
	hooks      []validating.PolicyHook
	dispatcher generic.Dispatcher[validating.PolicyHook]
	compiled   map[string]compiledPolicy
}

// compiledPolicy is a policy's validator, valid for the resourceVersion it was compiled from.
type compiledPolicy struct {
	resourceVersion string
	validator       validating.Validator
}

// NewSource returns a Source over the given indexes, which must not be fed yet. authz decides the CEL
// `authorizer` checks in the request's workspace; clients reads what the indexes have not seen yet (a namespace
// just created) and a policy's parameters.
func NewSource(policies *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicy],
	bindings *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicyBinding],
	namespaces *clusterwatch.Store[*corev1.Namespace], clients *sdk.Client, authz authorizer.Authorizer) *Source {
	s := &Source{policies: policies, bindings: bindings, namespaces: namespaces, clients: clients, authorizer: authz,
		workspaces: map[logicalcluster.Name]*workspaceHooks{}}
	policies.OnChange(s.changed)
	bindings.OnChange(s.changed)
	return s
}

// HasSynced reports whether both indexes have seen their first full list.
func (s *Source) HasSynced() bool { return s.policies.HasSynced() && s.bindings.HasSynced() }

func (s *Source) changed(cluster logicalcluster.Name, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if w := s.workspaces[cluster]; w != nil {
		w.fresh = false
	}
}

// hooks returns a workspace's hooks and the dispatcher for them; no hooks when the workspace binds no policy.
func (s *Source) hooks(cluster logicalcluster.Name) ([]validating.PolicyHook, generic.Dispatcher[validating.PolicyHook], error) {
	s.mu.Lock()
	w := s.workspaces[cluster]
	if w != nil && w.fresh {
		s.mu.Unlock()
		return w.hooks, w.dispatcher, nil
	}
	seen := s.changes
	var previous map[string]compiledPolicy
	if w != nil {
		previous = w.compiled
	}
	s.mu.Unlock()

	// Compiling may take milliseconds: outside the lock, so that other workspaces are not held up.
	built, err := s.build(cluster, previous)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.changes == seen && built == nil:
		delete(s.workspaces, cluster)
	case s.changes == seen:
		s.workspaces[cluster] = built
	case built != nil:
		// Something changed meanwhile: keep what compiled for the next build, not the hooks.
		stale := *built
		stale.fresh = false
		s.workspaces[cluster] = &stale
	}
	if built == nil {
		return nil, nil, nil
	}
	return built.hooks, built.dispatcher, nil
}

// build compiles a workspace's bound policies, reusing previous for those that did not change. A binding whose
// policy does not exist has no effect, as upstream; so has a policy no binding names.
func (s *Source) build(cluster logicalcluster.Name, previous map[string]compiledPolicy) (*workspaceHooks, error) {
	bindings := s.bindings.List(cluster)
	if len(bindings) == 0 {
		return nil, nil
	}
	byPolicy := map[string][]*admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
	for _, b := range bindings {
		byPolicy[b.Spec.PolicyName] = append(byPolicy[b.Spec.PolicyName], b)
	}
	w := &workspaceHooks{fresh: true, compiled: map[string]compiledPolicy{}}
	for name, bound := range byPolicy {
		policy, ok := s.policies.Get(cluster, name)
		if !ok {
			continue
		}
		sort.Slice(bound, func(i, j int) bool { return bound[i].Name < bound[j].Name })
		c, ok := previous[name]
		if !ok || c.resourceVersion != policy.ResourceVersion {
			c = compiledPolicy{resourceVersion: policy.ResourceVersion, validator: compile(policy)}
		}
		w.compiled[name] = c
		hook := validating.PolicyHook{Policy: policy, Bindings: bound, Evaluator: c.validator}
		if policy.Spec.ParamKind != nil {
			hook.ParamInformer, hook.ParamScope, hook.ConfigurationError = s.params(cluster, policy.Spec.ParamKind)
		}
		w.hooks = append(w.hooks, hook)
	}
	if len(w.hooks) == 0 {
		return nil, nil
	}
	// Policies are evaluated in name order, so that the first refusal reported is the same on every replica.
	sort.Slice(w.hooks, func(i, j int) bool { return w.hooks[i].Policy.Name < w.hooks[j].Policy.Name })
	kube, err := s.clients.Kubernetes(string(cluster))
	if err != nil {
		return nil, err
	}
	matcher := matching.NewMatcher(namespaceLister{cluster: cluster, namespaces: s.namespaces}, kube)
	w.dispatcher = validating.NewDispatcher(s.authorizer, generic.NewPolicyMatcher(matcher))
	return w, nil
}
