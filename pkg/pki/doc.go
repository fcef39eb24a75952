// Package pki creates, on a server's first start, the files a Gantry server and its admin need: a CA, a serving
// certificate, an admin client certificate (group system:masters), the ServiceAccount signing key and
// admin.kubeconfig. Later starts reuse them, and so do the other replicas of one Gantry given the same directory.
//
// It does not authenticate requests (pkg/server configures that) nor issue ServiceAccount tokens
// (pkg/serviceaccount).
package pki
