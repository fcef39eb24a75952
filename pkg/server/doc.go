// Package server assembles the Gantry API server on an unforked k8s.io/apiserver: options and flags, storage in
// etcd (embedded or external), the workspace routing filter, authentication and authorization, the one admission
// chain, the typed built-in resources, the custom resource server, discovery and OpenAPI, the in-memory indexes
// and the controllers. It is built as Options -> New -> Run.
//
// It owns the wiring only: each piece's behaviour lives in its own package (pkg/routing, pkg/clusterstore,
// pkg/registry, pkg/customresources, pkg/workspace, ...).
package server
