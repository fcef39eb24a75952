// Package admissionwebhook calls each workspace's ValidatingWebhookConfigurations and MutatingWebhookConfigurations
// (admissionregistration.k8s.io/v1) for the requests of that workspace only, for built-in, custom and bound
// resources alike, with the upstream k8s.io/apiserver webhook plugins: their matching (rules, namespaceSelector,
// objectSelector, matchPolicy, matchConditions), client manager, validating and mutating dispatchers, failurePolicy,
// timeouts, JSONPatch responses and reinvocation.
//
// Upstream's plugin keeps one set of webhooks for the whole server, fed by its own informers. Gantry instead keeps
// one wildcard index per kind (clusterwatch stores fed by the server) and, for a workspace that has webhook
// configurations, one upstream plugin built lazily on the workspace's first request after a change, over that
// workspace's configurations and namespaces only; no workspace costs a goroutine or an informer.
//
// Only clientConfig.url webhooks exist (the registry refuses clientConfig.service: a workspace has no cluster
// network). The gantry process makes the calls, so the dialer refuses link-local and unspecified addresses, where
// cloud metadata services answer (see docs/admission.md).
package admissionwebhook
