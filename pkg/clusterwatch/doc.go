// Package clusterwatch lists and watches one resource across every workspace through the wildcard endpoint
// /clusters/*, for the server's own controllers: one such watch serves all workspaces, and Store keeps its
// objects keyed by workspace so that same-named objects of different workspaces stay apart. It also builds the
// server's privileged loopback clients, for every workspace or for one.
//
// It does not run controllers (pkg/namespace, pkg/apibinding, ...) or work queues (pkg/workloop). Providers'
// controllers use the sdk's WildcardInformer instead.
package clusterwatch
