// Package admission holds Gantry's admission checks, which run for built-in and custom resources alike: an object
// may only be created in a namespace that exists in its workspace (NamespaceExists), an APIBinding needs the verb
// "bind" on the APIExport it names (APIBindings), and a Workspace gets its default WorkspaceType and needs the
// verb "use" on it (WorkspaceTypes), an InferenceService must refer to a Model, version and runtime that can serve
// it (ServingRefs), and a spec change of an InferenceService or Model records who made it and why (ServingChanges).
//
// It does not assemble the admission chain (pkg/server does), authorize requests (pkg/authorization), resolve
// WorkspaceTypes (pkg/workspacetype) or decide whether a binding can be served (pkg/apibinding).
package admission
