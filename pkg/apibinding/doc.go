// Package apibinding runs the controller of APIExports and APIBindings for every workspace: it gives each export
// an identity, decides which resources each workspace has bound (refusing clashes), and hands them to the custom
// resource server as CRDs through the crdset.Set. "Bound" names what a workspace serves through its bindings; a
// workspace serves its own CRDs as well.
//
// It does not serve bound objects (pkg/customresources), serve discovery or OpenAPI (pkg/apidiscovery), check the
// verb "bind" on creation (pkg/admission), or serve the APIExport virtual workspace (pkg/virtualworkspace).
package apibinding
