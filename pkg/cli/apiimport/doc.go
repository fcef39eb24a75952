// Package apiimport is `kubectl gantry import-apis`: it offers a downstream cluster's own workload APIs
// (deployments.apps, ...) in the current compute workspace, as APIResourceSchemas built from the cluster's
// OpenAPI and an APIExport of them, which teams bind and SyncTargets support, in the spirit of kcp's
// "kubernetes" export.
package apiimport
