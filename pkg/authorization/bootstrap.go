package authorization

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

var readVerbs = []string{"get", "list", "watch"}
var writeVerbs = []string{"create", "update", "patch", "delete", "deletecollection"}

// nonCoreGroups are the API groups Gantry serves besides the core group, for roles that must exclude something of
// the core group (view cannot read secrets), which a "*" group would not allow.
var nonCoreGroups = []string{"coordination.k8s.io", "events.k8s.io", "rbac.authorization.k8s.io",
	"apiextensions.k8s.io", "tenancy.gantry.dev"}

// coreReadable are the core resources view may read: all of them but secrets.
var coreReadable = []string{"namespaces", "configmaps", "serviceaccounts", "events"}

// DiscoveryURLs are the non-resource paths everyone who can enter a workspace may read there: what kubectl needs
// before any request (discovery, OpenAPI, version) and health.
var DiscoveryURLs = []string{"/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*", "/version", "/version/",
	"/healthz", "/livez", "/readyz"}

// StandardClusterRoles are the roles every workspace can bind by name without storing them: they are defined once
// here, not copied into each workspace. A ClusterRole of the same name stored in a workspace takes precedence
// there.
var StandardClusterRoles = map[string][]rbacv1.PolicyRule{
	"cluster-admin": {
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
		{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}},
	},
	"admin": {
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
	},
	"edit": {
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: append(append([]string{}, readVerbs...), writeVerbs...)},
	},
	"view": {
		{APIGroups: []string{""}, Resources: coreReadable, Verbs: readVerbs},
		{APIGroups: nonCoreGroups, Resources: []string{"*"}, Verbs: readVerbs},
	},
	"system:discovery": {
		{NonResourceURLs: DiscoveryURLs, Verbs: []string{"get"}},
	},
	"system:workspace-access": {
		{NonResourceURLs: []string{"/"}, Verbs: []string{"access"}},
	},
}
