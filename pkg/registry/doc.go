// Package registry builds the REST storage of every typed resource Gantry serves in each workspace: the
// Kubernetes built-ins (from the k8s.io/api Go types) and Gantry's own tenancy and apis APIs, with their
// strategies, validation, tables and the access-review endpoints.
//
// The external Go types are also registered as the internal ("hub") version of their group, so that the upstream
// endpoint handlers decode straight into them: no internal types and no conversions to maintain, while protobuf,
// strategic merge patch and server-side apply work as they do in Kubernetes. It does not make storage
// workspace-aware (pkg/clusterstore) nor serve custom resources (pkg/customresources).
package registry
