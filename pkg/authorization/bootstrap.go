package authorization

import (
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	rbacconfig "github.com/gantry-dev/gantry/config/rbac"
)

// standardRole is a standard ClusterRole as Gantry evaluates it: rules that apply as written, and rules that
// reach only the resources the workspace serves, less some (config/rbac explains why).
type standardRole struct {
	rules  []rbacv1.PolicyRule
	served []servedRule
}

// servedRule is a rule over the resources a workspace serves, less except. Its Resource "*" leaves out a whole
// group; any other leaves out that resource and its subresources.
type servedRule struct {
	rule   rbacv1.PolicyRule
	except []schema.GroupResource
}

// standardRoles are the roles every workspace can bind by name without storing them, from config/rbac: defined
// once, not copied into each workspace. A ClusterRole of the same name stored in a workspace takes precedence
// there.
var standardRoles = loadStandardRoles(rbacconfig.ClusterRoles())

// implicitRules are held by everyone who may enter a workspace, without a binding: discovery, and asking what one
// may do (kubectl auth can-i, kubectl auth whoami).
var implicitRules = append(append([]rbacv1.PolicyRule{}, standardRoles["system:discovery"].rules...),
	standardRoles["system:basic-user"].rules...)

// loadStandardRoles splits each role's rules into those that apply as written and, for a role annotated with
// rbacconfig.ServedExceptAnnotation, those whose apiGroups is ["*"], which reach only the served resources.
func loadStandardRoles(roles []rbacv1.ClusterRole) map[string]*standardRole {
	out := make(map[string]*standardRole, len(roles))
	for i := range roles {
		except, dynamic := rbacconfig.ServedExcept(&roles[i])
		role := &standardRole{}
		for _, rule := range roles[i].Rules {
			if dynamic && len(rule.APIGroups) == 1 && rule.APIGroups[0] == rbacv1.APIGroupAll {
				role.served = append(role.served, servedRule{rule: rule, except: except})
				continue
			}
			role.rules = append(role.rules, rule)
		}
		out[roles[i].Name] = role
	}
	return out
}

// excludes reports whether the rule leaves out group/resource.
func (s *servedRule) excludes(group, resource string) bool {
	for _, gr := range s.except {
		if gr.Group == group && (gr.Resource == rbacv1.ResourceAll || gr.Resource == resource) {
			return true
		}
	}
	return false
}
