// Package crdset is the one source of which CustomResourceDefinitions each workspace serves. It holds three
// things:
//
//   - every workspace's own CRDs (Index, fed by a wildcard watch);
//   - the CRDs that stand for each workspace's bound resources (written by the APIBinding controller);
//   - the CRDs of what each APIExport offers (written by the same controller), for the export's virtual workspace.
//
// Words: a workspace serves its own CRDs and its bound resources; "bound" (Bound, SetBound, IsBound, an APIBinding's
// status.boundResources) always means what it serves through its APIBindings, never its own CRDs.
//
// Serving, discovery, OpenAPI and the virtual workspaces only read it. It does not serve, store or erase anything,
// and it does not decide which bindings win: the apibinding package does.
package crdset
