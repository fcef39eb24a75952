// Package sdk is the Go client of Gantry: clients for a workspace by path (or for every workspace, '*'), the same
// over an APIExport's virtual workspace, and a wildcard informer whose cache keeps objects of different workspaces
// apart, keyed "<cluster>|<namespace>/<name>". Typed clients, listers, informers and apply configurations of the
// *.gantry.dev APIs are generated under sdk/generated. It also owns the rule that a list/watch spanning workspaces
// starts with a classic LIST (NoWatchList), which the server's own caches follow too.
//
// It imports nothing of the server (pkg/): it does not define the APIs (apis/) and holds no controllers; the
// controller-runtime adapter is sdk/controllerruntime.
package sdk
