// Package sdk is the Go client of Gantry: clients for a workspace by path (or for every workspace, '*'), the same
// over an APIExport's virtual workspace, and a wildcard informer whose cache keeps objects of different workspaces
// apart, keyed "<cluster>|<namespace>/<name>". Typed clients, listers, informers and apply configurations of the
// *.gantry.dev APIs are generated under sdk/generated.
package sdk
