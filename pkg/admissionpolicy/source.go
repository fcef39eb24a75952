package admissionpolicy

import (
	"sort"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission/plugin/policy/generic"
	"k8s.io/apiserver/pkg/admission/plugin/policy/matching"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk"
)

// object is what policies and bindings are: API objects with metadata.
type object interface {
	runtime.Object
	metav1.Object
}

// Source keeps the compiled hooks (a policy with its bindings) of every workspace that has bindings, built from
// the wildcard indexes of policies (P) and bindings (B) on the first request after a change of that workspace's.
// E is what a policy compiles to; the kind (validating or mutating) gives the functions.
type Source[P, B object, E any] struct {
	policies   *clusterwatch.Store[P]
	bindings   *clusterwatch.Store[B]
	namespaces *clusterwatch.Store[*corev1.Namespace]
	clients    *sdk.Client
	authorizer authorizer.Authorizer
	kind       kind[P, B, E]

	// mu guards workspaces and changes; requests only read-lock it, unless their workspace's hooks must be rebuilt.
	mu         sync.RWMutex
	workspaces map[logicalcluster.Name]*workspaceHooks[P, B, E]
	// changes counts the changes of policies and bindings (of any workspace), so that hooks built from a view
	// older than the indexes are used once but not kept.
	changes uint64
}

// kind is what differs between validating and mutating policies.
type kind[P, B object, E any] struct {
	// policyName is the policy a binding names.
	policyName func(B) string
	// paramKind is the kind of a policy's parameters, or nil.
	paramKind func(P) *admissionregistrationv1.ParamKind
	compile   func(P) E
	// dispatcher returns the upstream dispatcher for one workspace.
	dispatcher func(w workspace, authz authorizer.Authorizer, matcher *matching.Matcher) generic.Dispatcher[generic.PolicyHook[P, B, E]]
}

// workspace is what a dispatcher may need of the workspace it serves.
type workspace struct {
	cluster logicalcluster.Name
	clients *sdk.Client
}

// workspaceHooks is what one workspace's requests are dispatched with.
type workspaceHooks[P, B object, E any] struct {
	// fresh says the hooks reflect the indexes; a stale entry only lends its compiled policies to the next build.
	fresh      bool
	hooks      []generic.PolicyHook[P, B, E]
	dispatcher generic.Dispatcher[generic.PolicyHook[P, B, E]]
	compiled   map[string]compiledPolicy[E]
}

// compiledPolicy is what a policy compiled to, valid for the resourceVersion it was compiled from.
type compiledPolicy[E any] struct {
	resourceVersion string
	evaluator       E
}

// ValidatingSource is the Source of ValidatingAdmissionPolicies.
type ValidatingSource = Source[*admissionregistrationv1.ValidatingAdmissionPolicy, *admissionregistrationv1.ValidatingAdmissionPolicyBinding, validating.Validator]

// MutatingSource is the Source of MutatingAdmissionPolicies.
type MutatingSource = Source[*admissionregistrationv1.MutatingAdmissionPolicy, *admissionregistrationv1.MutatingAdmissionPolicyBinding, mutating.PolicyEvaluator]

// NewValidatingSource returns the Source of ValidatingAdmissionPolicies over the given indexes, which must not be
// fed yet. authz decides the CEL `authorizer` checks in the request's workspace; clients reads what the indexes
// have not seen yet (a namespace just created) and a policy's parameters.
func NewValidatingSource(policies *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicy],
	bindings *clusterwatch.Store[*admissionregistrationv1.ValidatingAdmissionPolicyBinding],
	namespaces *clusterwatch.Store[*corev1.Namespace], clients *sdk.Client, authz authorizer.Authorizer) *ValidatingSource {
	return newSource(policies, bindings, namespaces, clients, authz, kind[*admissionregistrationv1.ValidatingAdmissionPolicy,
		*admissionregistrationv1.ValidatingAdmissionPolicyBinding, validating.Validator]{
		policyName: func(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) string { return b.Spec.PolicyName },
		paramKind: func(p *admissionregistrationv1.ValidatingAdmissionPolicy) *admissionregistrationv1.ParamKind {
			return p.Spec.ParamKind
		},
		compile: compile,
		dispatcher: func(_ workspace, authz authorizer.Authorizer, m *matching.Matcher) generic.Dispatcher[validating.PolicyHook] {
			return validating.NewDispatcher(authz, generic.NewPolicyMatcher(m))
		},
	})
}

// NewMutatingSource returns the Source of MutatingAdmissionPolicies (see NewValidatingSource).
func NewMutatingSource(policies *clusterwatch.Store[*admissionregistrationv1.MutatingAdmissionPolicy],
	bindings *clusterwatch.Store[*admissionregistrationv1.MutatingAdmissionPolicyBinding],
	namespaces *clusterwatch.Store[*corev1.Namespace], clients *sdk.Client, authz authorizer.Authorizer) *MutatingSource {
	return newSource(policies, bindings, namespaces, clients, authz, kind[*admissionregistrationv1.MutatingAdmissionPolicy,
		*admissionregistrationv1.MutatingAdmissionPolicyBinding, mutating.PolicyEvaluator]{
		policyName: func(b *admissionregistrationv1.MutatingAdmissionPolicyBinding) string { return b.Spec.PolicyName },
		paramKind: func(p *admissionregistrationv1.MutatingAdmissionPolicy) *admissionregistrationv1.ParamKind {
			return p.Spec.ParamKind
		},
		compile: compileMutating,
		dispatcher: func(w workspace, authz authorizer.Authorizer, m *matching.Matcher) generic.Dispatcher[mutating.PolicyHook] {
			return mutating.NewDispatcher(authz, m, &typeConverters{workspace: w})
		},
	})
}

func newSource[P, B object, E any](policies *clusterwatch.Store[P], bindings *clusterwatch.Store[B], namespaces *clusterwatch.Store[*corev1.Namespace],
	clients *sdk.Client, authz authorizer.Authorizer, k kind[P, B, E]) *Source[P, B, E] {
	s := &Source[P, B, E]{policies: policies, bindings: bindings, namespaces: namespaces, clients: clients, authorizer: authz, kind: k,
		workspaces: map[logicalcluster.Name]*workspaceHooks[P, B, E]{}}
	policies.OnChange(s.changed)
	bindings.OnChange(s.changed)
	return s
}

// HasSynced reports whether both indexes have seen their first full list.
func (s *Source[P, B, E]) HasSynced() bool { return s.policies.HasSynced() && s.bindings.HasSynced() }

func (s *Source[P, B, E]) changed(cluster logicalcluster.Name, _ string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changes++
	if w := s.workspaces[cluster]; w != nil {
		w.fresh = false
	}
}

// hooks returns a workspace's hooks and the dispatcher for them; no hooks when the workspace binds no policy.
func (s *Source[P, B, E]) hooks(cluster logicalcluster.Name) ([]generic.PolicyHook[P, B, E], generic.Dispatcher[generic.PolicyHook[P, B, E]], error) {
	s.mu.RLock()
	w := s.workspaces[cluster]
	if w != nil && w.fresh {
		hooks, dispatcher := w.hooks, w.dispatcher
		s.mu.RUnlock()
		return hooks, dispatcher, nil
	}
	seen := s.changes
	var previous map[string]compiledPolicy[E]
	if w != nil {
		previous = w.compiled
	}
	s.mu.RUnlock()

	// Compiling may take milliseconds: outside the lock, so that other workspaces are not held up.
	built, err := s.build(cluster, previous)
	if err != nil {
		return nil, nil, err
	}
	if built == nil && w == nil {
		return nil, nil, nil // the common case, a workspace without policies: nothing to keep or forget
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
func (s *Source[P, B, E]) build(cluster logicalcluster.Name, previous map[string]compiledPolicy[E]) (*workspaceHooks[P, B, E], error) {
	bindings := s.bindings.List(cluster)
	if len(bindings) == 0 {
		return nil, nil
	}
	byPolicy := map[string][]B{}
	for _, b := range bindings {
		byPolicy[s.kind.policyName(b)] = append(byPolicy[s.kind.policyName(b)], b)
	}
	w := &workspaceHooks[P, B, E]{fresh: true, compiled: map[string]compiledPolicy[E]{}}
	for name, bound := range byPolicy {
		policy, ok := s.policies.Get(cluster, name)
		if !ok {
			continue
		}
		sort.Slice(bound, func(i, j int) bool { return bound[i].GetName() < bound[j].GetName() })
		c, ok := previous[name]
		if !ok || c.resourceVersion != policy.GetResourceVersion() {
			c = compiledPolicy[E]{resourceVersion: policy.GetResourceVersion(), evaluator: s.kind.compile(policy)}
		}
		w.compiled[name] = c
		hook := generic.PolicyHook[P, B, E]{Policy: policy, Bindings: bound, Evaluator: c.evaluator}
		if kind := s.kind.paramKind(policy); kind != nil {
			hook.ParamInformer, hook.ParamScope, hook.ConfigurationError = s.params(cluster, kind)
		}
		w.hooks = append(w.hooks, hook)
	}
	if len(w.hooks) == 0 {
		return nil, nil
	}
	// Policies are dispatched in name order, so that the outcome is the same on every replica.
	sort.Slice(w.hooks, func(i, j int) bool { return w.hooks[i].Policy.GetName() < w.hooks[j].Policy.GetName() })
	kube, err := s.clients.Kubernetes(string(cluster))
	if err != nil {
		return nil, err
	}
	matcher := matching.NewMatcher(namespaceLister{cluster: cluster, namespaces: s.namespaces}, kube)
	w.dispatcher = s.kind.dispatcher(workspace{cluster: cluster, clients: s.clients}, s.authorizer, matcher)
	return w, nil
}
