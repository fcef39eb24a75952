// Package customresources serves the objects of custom resources: the CustomResourceDefinitions created in each
// workspace, the resources each workspace binds from APIExports, and the resources of virtual workspaces. A CRD in
// workspace A is served only in A, and the same CRD name with another schema in B is served independently.
//
// It is built from k8s.io/apiextensions-apiserver pieces (structural schemas, the customresource strategy and
// storage, schema validation and CEL, printer columns, field management); the glue that upstream's CRD handler
// keeps unexported is written here. The REST storage of a CRD is built the first time one of its objects is
// requested. The package also runs the controller that establishes each workspace's CRDs and erases the objects
// of deleted ones.
//
// It does not decide which CRDs a workspace serves (crdset does), nor serve discovery and OpenAPI (apidiscovery),
// nor route or authorize virtual workspaces (virtualworkspace).
package customresources
