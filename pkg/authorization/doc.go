// Package authorization decides what a request may do in the workspace it names: RBAC evaluated per workspace
// from an index of every workspace's roles and bindings (bindings found by the subjects they name, so a decision
// reads only the bindings of its user), the verb "access" on "/" to enter a workspace at all,
// the standard cluster roles, the checks that stop RBAC escalation, and the guard that lets only privileged
// identities list and watch every workspace ("*").
//
// It does not store RBAC objects (pkg/registry does) nor find the workspace of a request (pkg/routing puts it in
// the context).
package authorization
