// Package namespacedefaults keeps, in every namespace of every workspace, the two objects Kubernetes puts in each
// namespace: the ServiceAccount "default" and the ConfigMap "kube-root-ca.crt" with the CA bundle that verifies the
// server (key ca.crt). Tools and Kubernetes' own e2e framework wait for both. A deleted one is created again and an
// edited kube-root-ca.crt is set right, as Kubernetes' serviceaccounts and root-ca-cert-publisher controllers do;
// a terminating namespace, or a workspace being deleted, is left alone.
//
// One controller serves all workspaces from wildcard indexes (namespaces, ServiceAccounts, and only the
// kube-root-ca.crt ConfigMaps), so a workspace costs it nothing but its entries there. It does not own the
// namespace or ServiceAccount indexes (pkg/server feeds them), namespace deletion (pkg/namespace) or ServiceAccount
// tokens (pkg/serviceaccount).
package namespacedefaults
