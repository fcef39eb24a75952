// Package controllerruntime connects the sdk's wildcard informer to controller-runtime: a controller whose
// requests name the workspace of the object, so that same-named objects of different workspaces are reconciled
// apart. Build it with builder.TypedControllerManagedBy[Request](mgr).WatchesRawSource(Source(informer)).
//
// It owns only this adapter: the informer and its cache are the sdk's, and clients are built with the sdk too.
package controllerruntime
