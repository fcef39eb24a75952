package authorization

import (
	"context"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// AccessDenied is the reason given whenever a user may not enter a workspace. It is the same whether or not the
// workspace exists, so that a denial tells nothing about other workspaces.
const AccessDenied = "access to the workspace is denied"

// serverPaths are the paths outside any workspace every authenticated user may read.
var serverPaths = []string{"/livez", "/livez/*", "/readyz", "/readyz/*", "/healthz", "/healthz/*", "/version", "/version/"}

// RBACIndex holds the RBAC objects of every workspace, and finds a workspace's bindings by the subjects they name.
type RBACIndex struct {
	Roles               *clusterwatch.Store[*rbacv1.Role]
	RoleBindings        *clusterwatch.Store[*rbacv1.RoleBinding]
	ClusterRoles        *clusterwatch.Store[*rbacv1.ClusterRole]
	ClusterRoleBindings *clusterwatch.Store[*rbacv1.ClusterRoleBinding]

	roleBindingsBySubject        *subjectIndex[*rbacv1.RoleBinding]
	clusterRoleBindingsBySubject *subjectIndex[*rbacv1.ClusterRoleBinding]
}

// NewRBACIndex returns an empty index.
func NewRBACIndex() *RBACIndex {
	x := &RBACIndex{
		Roles:               clusterwatch.NewStore[*rbacv1.Role](),
		RoleBindings:        clusterwatch.NewStore[*rbacv1.RoleBinding](),
		ClusterRoles:        clusterwatch.NewStore[*rbacv1.ClusterRole](),
		ClusterRoleBindings: clusterwatch.NewStore[*rbacv1.ClusterRoleBinding](),
	}
	x.roleBindingsBySubject = newSubjectIndex(x.RoleBindings, func(rb *rbacv1.RoleBinding) []rbacv1.Subject { return rb.Subjects })
	x.clusterRoleBindingsBySubject = newSubjectIndex(x.ClusterRoleBindings,
		func(crb *rbacv1.ClusterRoleBinding) []rbacv1.Subject { return crb.Subjects })
	return x
}

// HasSynced reports whether all four kinds have been listed.
func (x *RBACIndex) HasSynced() bool {
	return x.Roles.HasSynced() && x.RoleBindings.HasSynced() && x.ClusterRoles.HasSynced() && x.ClusterRoleBindings.HasSynced()
}

// RBAC evaluates Kubernetes RBAC over the objects stored in the request's workspace. Entering a workspace at all
// needs the verb "access" on the non-resource URL "/" there, or any binding there that names the user.
type RBAC struct {
	Index *RBACIndex
	// CRDs tells which custom resources (a workspace's CRDs and bound APIs) each workspace serves, which the
	// standard roles admin, edit and view reach; nil for none.
	CRDs *crdset.Set
}

// held is what a user holds in one namespace of a workspace: rules that apply as written, and rules of the
// standard roles that reach only the resources the workspace serves.
type held struct {
	rules  []rbacv1.PolicyRule
	served []servedRule
}

// allows reports whether what is held allows a in cluster, the implicit rules included.
func (r *RBAC) allows(cluster logicalcluster.Name, h *held, a authorizer.Attributes) bool {
	for i := range h.rules {
		if ruleAllows(a, h.rules[i]) {
			return true
		}
	}
	for i := range implicitRules {
		if ruleAllows(a, implicitRules[i]) {
			return true
		}
	}
	for i := range h.served {
		s := &h.served[i]
		if ruleAllows(a, s.rule) && !s.excludes(a.GetAPIGroup(), a.GetResource()) && r.serves(cluster, a.GetAPIGroup(), a.GetResource()) {
			return true
		}
	}
	return false
}

// plainRules returns what is held as plain rules over what cluster serves now.
func (r *RBAC) plainRules(cluster logicalcluster.Name, h *held) []rbacv1.PolicyRule {
	return append(append([]rbacv1.PolicyRule{}, h.rules...), r.expand(cluster, h.served)...)
}

// Authorize decides one request; wrap it in authorizer.AuthorizerFunc to use it as an authorizer.Authorizer.
func (r *RBAC) Authorize(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	u := a.GetUser()
	if u == nil {
		return authorizer.DecisionDeny, "unauthenticated", nil
	}
	cluster, ok := logicalcluster.From(ctx)
	if !ok {
		if logicalcluster.IsUnknown(ctx) {
			return authorizer.DecisionDeny, AccessDenied, nil
		}
		if !a.IsResourceRequest() && a.GetVerb() == "get" && nonResourceURLMatches(serverPaths, a.GetPath()) {
			return authorizer.DecisionAllow, "", nil
		}
		return authorizer.DecisionNoOpinion, "", nil
	}
	if cluster == logicalcluster.Wildcard || !r.Index.HasSynced() {
		return authorizer.DecisionNoOpinion, "", nil
	}
	h, entered := r.rules(cluster, u, a.GetNamespace())
	if !entered {
		return authorizer.DecisionDeny, AccessDenied, nil
	}
	if r.allows(cluster, &h, a) {
		return authorizer.DecisionAllow, "", nil
	}
	if grant, ok := syncTargetGrant(a); ok && r.allows(cluster, &h, grant) {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

// clusterRole resolves a ClusterRole by name in a workspace: the workspace's own, else a standard one.
func (r *RBAC) clusterRole(cluster logicalcluster.Name, name string) ([]rbacv1.PolicyRule, []servedRule) {
	if role, ok := r.Index.ClusterRoles.Get(cluster, name); ok {
		return role.Rules, nil
	}
	if role := standardRoles[name]; role != nil {
		return role.rules, role.served
	}
	return nil, nil
}

// addClusterRole adds what a ClusterRole grants to h.
func (r *RBAC) addClusterRole(h *held, cluster logicalcluster.Name, name string) {
	rules, served := r.clusterRole(cluster, name)
	h.rules = append(h.rules, rules...)
	h.served = append(h.served, served...)
}

// rules returns what applies to the user in namespace (cluster-wide grants included), and whether the user may
// enter the workspace at all. It reads only the bindings that name the user, its groups or its ServiceAccount.
func (r *RBAC) rules(cluster logicalcluster.Name, u user.Info, namespace string) (held, bool) {
	var h held
	bound := false
	for _, crb := range r.Index.clusterRoleBindingsBySubject.naming(cluster, u) {
		if crb.RoleRef.Kind != "ClusterRole" {
			continue
		}
		bound = true
		r.addClusterRole(&h, cluster, crb.RoleRef.Name)
	}
	for _, rb := range r.Index.roleBindingsBySubject.naming(cluster, u) {
		bound = true
		if rb.Namespace != namespace {
			continue
		}
		switch rb.RoleRef.Kind {
		case "ClusterRole":
			r.addClusterRole(&h, cluster, rb.RoleRef.Name)
		case "Role":
			if role, ok := r.Index.Roles.Get(cluster, rb.Namespace+"/"+rb.RoleRef.Name); ok {
				h.rules = append(h.rules, role.Rules...)
			}
		}
	}
	if bound {
		return h, true
	}
	// No binding names the user: entering needs an explicit "access" grant, which would itself be a binding, so
	// the user cannot enter.
	return held{}, false
}

// RulesFor implements authorizer.RuleResolver for SelfSubjectRulesReview: the rules of the user in the namespace
// of the request's workspace, the implicit discovery rules included. Privileged users hold every rule.
func (r *RBAC) RulesFor(ctx context.Context, u user.Info, namespace string) ([]authorizer.ResourceRuleInfo, []authorizer.NonResourceRuleInfo, bool, error) {
	rules := standardRoles["cluster-admin"].rules
	if !slices.Contains(u.GetGroups(), PrivilegedGroup) {
		cluster, ok := logicalcluster.From(ctx)
		if !ok || cluster == logicalcluster.Wildcard {
			return nil, nil, false, nil
		}
		h, entered := r.rules(cluster, u, namespace)
		if !entered {
			return nil, nil, false, nil
		}
		rules = append(r.plainRules(cluster, &h), implicitRules...)
	}
	var resourceRules []authorizer.ResourceRuleInfo
	var nonResourceRules []authorizer.NonResourceRuleInfo
	for _, rule := range rules {
		if len(rule.NonResourceURLs) > 0 {
			nonResourceRules = append(nonResourceRules, &authorizer.DefaultNonResourceRuleInfo{Verbs: rule.Verbs, NonResourceURLs: rule.NonResourceURLs})
			continue
		}
		resourceRules = append(resourceRules, &authorizer.DefaultResourceRuleInfo{Verbs: rule.Verbs, APIGroups: rule.APIGroups,
			Resources: rule.Resources, ResourceNames: rule.ResourceNames})
	}
	return resourceRules, nonResourceRules, false, nil
}
