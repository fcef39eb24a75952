package authorization

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

var readVerbs = []string{"get", "list", "watch"}
var readWriteVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

// useWorkspaceTypes lets a role create child workspaces of the built-in types, and of the types the workspace
// itself defines.
var useWorkspaceTypes = rbacv1.PolicyRule{APIGroups: []string{"tenancy.gantry.dev"}, Resources: []string{"workspacetypes"}, Verbs: []string{"use"}}

// editableGroups are the built-in groups edit may write: all but RBAC.
var editableGroups = []string{"", "coordination.k8s.io", "events.k8s.io", "apiextensions.k8s.io", "tenancy.gantry.dev"}

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
	// admin manages everything in the workspace, RBAC included, but holds neither "bind" nor "escalate": it cannot
	// grant itself (or anyone) more than it holds, cluster-admin in particular.
	"admin": {
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: readWriteVerbs},
		useWorkspaceTypes,
	},
	// edit writes the built-in groups but only reads RBAC. Rules cannot say "every group but RBAC", so custom
	// resource groups are not included: grant them with a ClusterRole of the workspace's own.
	"edit": {
		{APIGroups: editableGroups, Resources: []string{"*"}, Verbs: readWriteVerbs},
		{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"*"}, Verbs: readVerbs},
		useWorkspaceTypes,
	},
	"view": {
		{APIGroups: []string{""}, Resources: coreReadable, Verbs: readVerbs},
		{APIGroups: nonCoreGroups, Resources: []string{"*"}, Verbs: readVerbs},
	},
	"system:discovery": {
		{NonResourceURLs: DiscoveryURLs, Verbs: []string{"get"}},
	},
	"system:basic-user": {
		{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"selfsubjectaccessreviews", "selfsubjectrulesreviews"}, Verbs: []string{"create"}},
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"selfsubjectreviews"}, Verbs: []string{"create"}},
	},
	"system:workspace-access": {
		{NonResourceURLs: []string{"/"}, Verbs: []string{"access"}},
	},
}

// implicitRules are held by everyone who may enter a workspace, without a binding: discovery, and asking what one
// may do (kubectl auth can-i, kubectl auth whoami).
var implicitRules = append(append([]rbacv1.PolicyRule{}, StandardClusterRoles["system:discovery"]...), StandardClusterRoles["system:basic-user"]...)
