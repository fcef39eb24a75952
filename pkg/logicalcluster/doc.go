// Package logicalcluster names the logical clusters (workspaces) that one Gantry server hosts, validates their
// names and paths, and carries the cluster of a request in its context.
//
// A workspace has two names. Its path (root:ml:team-a) is what people type; its logical cluster name (a short
// random base36 id, or "root" for the root workspace) is what storage keys use. Both are validated here before
// they can reach a storage key. It does not resolve a path to a name (pkg/workspace keeps that index) nor build
// storage keys (pkg/clusterstore).
package logicalcluster
