// Package workspace keeps the in-memory index of workspace paths and logical clusters, and runs the one
// controller that initializes and deletes workspaces across all of them: a new workspace gets its default
// namespace, its owner's cluster-admin binding and its type's default APIBindings; a deleted one waits for its
// children and then has every key of its logical cluster erased.
//
// It does not store Workspace objects (pkg/registry), resolve WorkspaceTypes (pkg/workspacetype), route requests
// (pkg/routing reads the index) nor lay out the keys it erases (pkg/clusterstore).
package workspace
