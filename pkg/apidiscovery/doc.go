// Package apidiscovery serves discovery (legacy and aggregated) and OpenAPI v2 and v3 for what each workspace
// serves through CRDs, merged with the built-in answers, and for exactly a given set of CRDs in a virtual
// workspace.
//
// It reads which CRDs are served from pkg/crdset and never decides it; it does not serve objects
// (pkg/customresources) nor the built-in answers themselves (the generic API server does).
package apidiscovery
