// Package clusterstore makes the storage of every resource workspace-aware.
//
// Every genericregistry.Store in Gantry gets its storage from Decorator, through RESTOptionsGetter. The decorated
// storage inserts the logical cluster of the request (from the context) into every key right after the resource
// prefix, so /configmaps/ns/name becomes /configmaps/<cluster>/ns/name; it stamps and protects the
// gantry.dev/cluster annotation on every write; and it builds one watch cache per resource whose key function
// derives the full key from that annotation, so one cache serves all workspaces and a workspace's list is a
// key-prefix read of it. A request without a cluster in its context fails closed. It also owns the etcd key
// layout (keys.go) and erasing a workspace's keys (Eraser).
//
// It does not know which resources exist (pkg/registry, pkg/crdset) nor resolve workspace paths (pkg/workspace).
package clusterstore
