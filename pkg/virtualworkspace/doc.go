// Package virtualworkspace is the framework of Gantry's virtual workspaces: endpoints under
// /services/<name>/<workspace path>/<object>/clusters/<workspace or *>/... that show a narrowed view of many
// workspaces to an agent acting for one object (a provider for its APIExport, a syncer for its SyncTarget). A
// Definition says what one shows and allows; Registry parses paths (for the routing filter), authorizes, and serves
// discovery, OpenAPI and objects from the shared custom resource storage. APIExport is the first Definition.
//
// It does not decide what an export offers (apibinding writes that to crdset) and does not store anything.
package virtualworkspace
