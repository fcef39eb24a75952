// Package clusterstore makes the storage of every resource workspace-aware. Every genericregistry.Store gets its
// storage from Decorator, through RESTOptionsGetter: it inserts the request's logical cluster into every key right
// after the resource prefix (/configmaps/<cluster>/ns/name), stamps and protects the gantry.dev/cluster annotation,
// and builds one watch cache per resource keyed by that annotation, so a workspace's list is a key-prefix read. A
// request without a cluster fails closed. It also owns the etcd key layout (keys.go) and erasing keys (Eraser).
//
// It does not know which resources exist (pkg/registry, pkg/crdset) nor resolve workspace paths (pkg/workspace).
package clusterstore
