// Package conformance runs the upstream Kubernetes api-machinery e2e specs (k8s.io/kubernetes v1.37.2,
// test/e2e/apimachinery) against a workspace of a real gantry: `make conformance`.
//
// The specs are compiled once into a cached test binary by `go run ./test/kubecluster/build -e2e`. The runner
// (TestConformance, behind the conformance build tag so that `go test ./...` leaves it out) starts gantry with
// embedded etcd, creates a fresh workspace, points a kubeconfig at it and runs every spec except those in
// skip.txt, which cannot apply to a workspace, each with its reason. It prints the pass/fail list and fails on
// any failure not listed in known-failing.txt, which names the issue item each known failure maps to; a listed
// spec that passes is reported so that the list gets pruned. docs/conformance.md explains the lists and keeps the
// last results.
package conformance
