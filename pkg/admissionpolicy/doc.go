// Package admissionpolicy enforces each workspace's ValidatingAdmissionPolicies and MutatingAdmissionPolicies with
// their bindings (admissionregistration.k8s.io/v1) on the requests of that workspace only, for built-in, custom and
// bound resources alike, with the upstream k8s.io/apiserver machinery: the CEL validator and mutators and the
// validating and mutating dispatchers (matching, validationActions, failurePolicy, params, patches).
//
// Upstream's plugin keeps one set of policies for the whole server, fed by its own informers. Gantry instead keeps
// one wildcard index of policies and one of bindings (clusterwatch stores fed by the server), and builds a
// workspace's hooks lazily, on its first request after a change, reusing what compiled before; no workspace costs
// a goroutine or an informer. The status controller writes each policy's type-checking warnings, as
// kube-controller-manager does upstream.
package admissionpolicy
