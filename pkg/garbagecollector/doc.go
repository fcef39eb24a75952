// Package garbagecollector honours ownerReferences in every workspace at once: when an owner is deleted its
// dependents are deleted (background), deleted first (foreground) or released (orphan), as Kubernetes' garbage
// collector does for one cluster.
//
// It follows one etcd watch over every stored object instead of an informer per resource and workspace, so custom
// resources are covered and a workspace adds no watch. It keeps in memory the objects that have owners and the
// identity (workspace and UID) of the others. It does not empty deleted namespaces (pkg/namespace) nor erase
// deleted workspaces (pkg/workspace with clusterstore.Eraser).
package garbagecollector
