package authorization

import (
	"context"
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/component-helpers/auth/rbac/validation"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Escalation keeps users from granting, through Roles and bindings in a workspace, permissions they do not hold
// there, as Kubernetes does: a user may write a role whose rules their own rules cover (or holding the verb
// "escalate" on it), and bind a role whose rules their own rules cover (or holding the verb "bind" on it).
// system:masters may do anything. It implements registry.RBACGuard.
type Escalation struct {
	RBAC *RBAC
}

// CanGrant implements registry.RBACGuard.
func (e *Escalation) CanGrant(ctx context.Context, resource, namespace string, rules []rbacv1.PolicyRule) error {
	return e.check(ctx, "escalate", resource, "", namespace, rules)
}

// CanBind implements registry.RBACGuard.
func (e *Escalation) CanBind(ctx context.Context, ref rbacv1.RoleRef, namespace string) error {
	cluster, _ := logicalcluster.From(ctx)
	var rules []rbacv1.PolicyRule
	resource := "clusterroles"
	switch ref.Kind {
	case "ClusterRole":
		plain, served := e.RBAC.clusterRole(cluster, ref.Name)
		rules = append(append(rules, plain...), e.RBAC.expand(cluster, served)...)
	case "Role":
		resource = "roles"
		if role, ok := e.RBAC.Index.Roles.Get(cluster, namespace+"/"+ref.Name); ok {
			rules = role.Rules
		}
	}
	return e.check(ctx, "bind", resource, ref.Name, namespace, rules)
}

func (e *Escalation) check(ctx context.Context, verb, resource, name, namespace string, rules []rbacv1.PolicyRule) error {
	u, ok := genericapirequest.UserFrom(ctx)
	if !ok {
		return apierrors.NewForbidden(rbacv1.Resource(resource), name, fmt.Errorf("no user"))
	}
	if slices.Contains(u.GetGroups(), PrivilegedGroup) {
		return nil
	}
	cluster, ok := logicalcluster.From(ctx)
	if !ok || cluster == logicalcluster.Wildcard {
		return apierrors.NewForbidden(rbacv1.Resource(resource), name, fmt.Errorf("no workspace"))
	}
	if d, _, _ := e.RBAC.Authorize(ctx, authorizer.AttributesRecord{User: u, Verb: verb, ResourceRequest: true,
		APIGroup: rbacv1.GroupName, Resource: resource, Name: name, Namespace: namespace}); d == authorizer.DecisionAllow {
		return nil
	}
	h, _ := e.RBAC.rules(cluster, u, namespace)
	if covered, missing := validation.Covers(e.RBAC.plainRules(cluster, &h), rules); !covered {
		return apierrors.NewForbidden(rbacv1.Resource(resource), name, fmt.Errorf(
			"user %q is attempting to grant RBAC permissions not currently held in this workspace: %v", u.GetName(), missing))
	}
	return nil
}
