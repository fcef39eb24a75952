// Package customresources serves the objects of custom resources: each workspace's own CRDs (a CRD in A is served
// only in A), the resources each workspace binds from APIExports, and the resources of virtual workspaces. It is
// built from k8s.io/apiextensions-apiserver pieces (structural schemas, the customresource strategy and storage,
// validation and CEL, printer columns, field management) with the glue upstream keeps unexported written here; a
// CRD's REST storage is built on its first request. Its controller establishes CRDs and erases deleted ones' objects.
//
// It does not decide which CRDs a workspace serves (crdset), serve discovery and OpenAPI (apidiscovery), or route
// and authorize virtual workspaces (virtualworkspace).
package customresources
