// Package virtualworkspace is the framework of Gantry's virtual workspaces: endpoints under
// /services/<name>/<workspace path>/<object>/clusters/<workspace or *>/... that show a narrowed view of many
// workspaces to an agent acting for one object (a provider for its APIExport, a syncer for its SyncTarget).
//
// A virtual workspace is a Definition: its name, the permission checked on its object, which resources it serves,
// which workspaces and objects are visible, and which verbs are allowed. The framework does the rest: it parses
// the path (Registry.Parse, called by the routing filter), authorizes (Registry.Authorizer), and serves discovery,
// OpenAPI and the objects (Registry.Wrap) from the shared custom resource storage.
//
// The APIExport virtual workspace (APIExport) is the first Definition. The package does not decide what an export
// offers (apibinding writes that to crdset) and does not store anything.
package virtualworkspace
