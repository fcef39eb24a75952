package authorization

import (
	"slices"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/sets"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// builtinGroups and builtinResources are what every workspace serves natively, from pkg/registry.
var (
	builtinGroups    = sets.New(registry.ServedGroups()...)
	builtinResources = registry.ServedResources()
)

// serves reports whether cluster serves group/resource: a built-in group, or a CRD or bound resource of the
// workspace. It costs a map lookup or two, never a scan.
func (r *RBAC) serves(cluster logicalcluster.Name, group, resource string) bool {
	if builtinGroups.Has(group) {
		return true
	}
	return r.CRDs != nil && r.CRDs.ForResource(cluster, group, resource) != nil
}

// servedResources returns, per group, the resources cluster serves: the built-in ones and those of its CRDs and
// bound APIs. It reads the workspace's CRDs, so it is for rule reviews and escalation checks, not every request.
func (r *RBAC) servedResources(cluster logicalcluster.Name) map[string][]string {
	out := make(map[string][]string, len(builtinResources))
	for group := range builtinGroups {
		out[group] = slices.Clone(builtinResources[group])
	}
	if r.CRDs == nil {
		return out
	}
	for _, crd := range r.CRDs.InCluster(cluster) {
		out[crd.Spec.Group] = append(out[crd.Spec.Group], crd.Spec.Names.Plural)
	}
	return out
}

// expand writes rules over the served resources as plain rules over what cluster serves now, for those who need
// plain rules: rule reviews and escalation checks.
func (r *RBAC) expand(cluster logicalcluster.Name, served []servedRule) []rbacv1.PolicyRule {
	if len(served) == 0 {
		return nil
	}
	resources := r.servedResources(cluster)
	groups := make([]string, 0, len(resources))
	for group := range resources {
		groups = append(groups, group)
	}
	sort.Strings(groups)
	var out []rbacv1.PolicyRule
	for i := range served {
		out = append(out, expandRule(&served[i], groups, resources)...)
	}
	return out
}

// expandRule writes one rule over the served groups: one rule for the groups it reaches whole, and one per group
// it reaches in part, listing each resource left and its subresources.
func expandRule(s *servedRule, groups []string, resources map[string][]string) []rbacv1.PolicyRule {
	var whole []string
	var out []rbacv1.PolicyRule
	for _, group := range groups {
		if !s.touches(group) {
			whole = append(whole, group)
			continue
		}
		var left []string
		for _, resource := range resourcesIn(s.rule.Resources, resources[group]) {
			if !s.excludes(group, strings.SplitN(resource, "/", 2)[0]) {
				left = append(left, resource)
			}
		}
		if len(left) > 0 {
			rule := *s.rule.DeepCopy()
			rule.APIGroups, rule.Resources = []string{group}, left
			out = append(out, rule)
		}
	}
	if len(whole) > 0 {
		rule := *s.rule.DeepCopy()
		rule.APIGroups = whole
		out = append([]rbacv1.PolicyRule{rule}, out...)
	}
	return out
}

// touches reports whether the rule leaves out anything of group.
func (s *servedRule) touches(group string) bool {
	for _, gr := range s.except {
		if gr.Group == group {
			return true
		}
	}
	return false
}

// resourcesIn returns the resources a rule names in a group that serves served: each served resource and its
// subresources for "*", else the rule's own.
func resourcesIn(ruleResources, served []string) []string {
	if !contains(ruleResources, rbacv1.ResourceAll) {
		return ruleResources
	}
	out := make([]string, 0, 2*len(served))
	for _, r := range served {
		out = append(out, r, r+"/*")
	}
	return out
}
