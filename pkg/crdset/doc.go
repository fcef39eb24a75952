// Package crdset is the one source of which CustomResourceDefinitions each workspace serves: its own CRDs (Index,
// fed by a wildcard watch), the CRDs that stand for its bound resources, and the CRDs of what each APIExport offers
// (both written by the APIBinding controller). "Bound" (Bound, SetBound, IsBound, status.boundResources) always
// means what a workspace serves through its APIBindings, never its own CRDs.
//
// Serving, discovery, OpenAPI and the virtual workspaces only read it. It does not serve, store or erase anything,
// and it does not decide which bindings win: the apibinding package does.
package crdset
