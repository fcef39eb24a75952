// Package namespace runs the namespace controller of every workspace: a namespace deleted in any workspace is
// emptied of everything in it and then finalized, as Kubernetes' namespace controller does for one cluster.
//
// It reads namespaces from the server's wildcard index (a clusterwatch.Store it is given) and does not own that
// index, the namespace REST storage (pkg/registry), or erasing whole workspaces (pkg/workspace).
package namespace
