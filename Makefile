# Gantry's make targets. `make` alone lists them.
SHELL := /usr/bin/env bash
GO ?= go
BIN := $(CURDIR)/bin
DATA_DIR ?= .gantry
GO_TEST_FLAGS ?= -timeout 25m
# The Kubernetes API level Gantry serves, as `kubectl version` reads it.
VERSION_PKG := k8s.io/component-base/version
LDFLAGS := -X $(VERSION_PKG).gitVersion=v1.37.0+gantry -X $(VERSION_PKG).gitMajor=1 -X $(VERSION_PKG).gitMinor=37 \
	-X $(VERSION_PKG).gitTreeState=clean
BENCH_FLAGS ?= -run '^$$' -bench . -benchtime 1x -timeout 120m

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

.PHONY: build
build: ## Build every binary into bin/.
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ ./cmd/...

.PHONY: run
run: build ## Build and start Gantry with embedded etcd under $(DATA_DIR) (prints how to point kubectl at it).
	$(BIN)/gantry start --data-dir $(DATA_DIR)

FUZZ_TIME ?= 20s
# make test fuzzes a fixed number of inputs, not a duration: Go 1.26's fuzz coordinator can fail a run with a bare
# "context deadline exceeded" at the end of a -fuzztime duration (go.dev/issue/75804, fixed in Go 1.27).
FUZZ_EXECS ?= 60000x

.PHONY: test
test: build kube-binaries ## Run every test: unit, isolation (with a short fuzz run), end-to-end with the real kubectl and a real Kubernetes cluster.
	GANTRY_BIN=$(BIN)/gantry $(GO) test $(GO_TEST_FLAGS) ./...
	$(GO) test -run '^$$' -fuzz FuzzIsolation -fuzztime $(FUZZ_EXECS) ./test/isolation

.PHONY: kube-binaries
kube-binaries: ## Build the test cluster's etcd, kube-apiserver, controller-manager, scheduler and kwok into a cache (GANTRY_KUBE_CACHE).
	$(GO) run ./test/kubecluster/build

.PHONY: conformance-binary
conformance-binary: ## Build the upstream api-machinery e2e specs (k8s.io/kubernetes test/e2e/apimachinery) into a test binary in a cache (GANTRY_E2E_CACHE).
	$(GO) run ./test/kubecluster/build -e2e

# Where make conformance leaves the e2e output, the Ginkgo report, gantry's log and the pass/fail summary.
CONFORMANCE_OUT ?= $(BIN)/conformance
# A regular expression that narrows the run to the specs whose full text it matches (empty: all that apply).
CONFORMANCE_FOCUS ?=

.PHONY: conformance
conformance: build conformance-binary ## Run the upstream api-machinery e2e specs that apply against a fresh workspace of a real gantry; fails on a failure not in test/conformance/known-failing.txt (docs/conformance.md).
	GANTRY_BIN=$(BIN)/gantry GANTRY_CONFORMANCE_OUT=$(CONFORMANCE_OUT) GANTRY_CONFORMANCE_FOCUS='$(CONFORMANCE_FOCUS)' \
		$(GO) test -tags conformance -count=1 -v -timeout 50m -run '^TestConformance$$' ./test/conformance

.PHONY: conformance-baseline
conformance-baseline: conformance-binary kube-binaries ## Run the same specs against the test cluster's vanilla kube-apiserver, where every one must pass (not part of CI; docs/conformance.md).
	GANTRY_CONFORMANCE_OUT=$(CONFORMANCE_OUT)-baseline GANTRY_CONFORMANCE_FOCUS='$(CONFORMANCE_FOCUS)' \
		$(GO) test -tags conformance -count=1 -v -timeout 50m -run '^TestConformanceBaseline$$' ./test/conformance

.PHONY: fuzz
fuzz: ## Fuzz workspace isolation for longer (FUZZ_TIME=10m make fuzz).
	$(GO) test -run '^$$' -fuzz FuzzIsolation -fuzztime $(FUZZ_TIME) ./test/isolation

.PHONY: bench
bench: build kube-binaries ## Run the benchmarks (long; not part of `make test`). Figures go to docs/performance.md.
	GANTRY_BIN=$(BIN)/gantry $(GO) test $(BENCH_FLAGS) ./test/bench/...

# Three runs, each on fresh servers, then every ratio's median, which the goal is judged on (docs/performance.md).
BENCH_COMPARE_FLAGS ?= -runs 3
.PHONY: bench-compare
bench-compare: build kube-binaries ## Measure Gantry against a vanilla kube-apiserver on one etcd: side-by-side tables and medians of 3 runs (about 13 minutes; not part of `make test`).
	$(GO) run ./test/bench/compare -gantry-bin $(BIN)/gantry $(BENCH_COMPARE_FLAGS)

.PHONY: bench-watch
bench-watch: build kube-binaries ## Watch fan-out: 1,000 watchers (one per workspace or namespace) plus a wildcard, Gantry vs kube-apiserver (about 2 minutes).
	$(GO) run ./test/bench/compare -gantry-bin $(BIN)/gantry -mode watch-fanout $(BENCH_WATCH_FLAGS)

.PHONY: bench-scale
bench-scale: build ## GANTRY_BENCH_SCALE_WORKSPACES (default 10,000; the issue's figure 100,000) workspaces in one gantry: creation rate vs etcd, RSS, GET/LIST p99 vs at 1,000, restart (about 3 minutes at 10,000 here, 30 at 100,000).
	GANTRY_BIN=$(BIN)/gantry $(GO) test -v -run '^$$' -bench '^BenchmarkScale$$' -benchtime 1x -timeout 120m ./test/bench/

.PHONY: bench-metrics
bench-metrics: build ## /metrics series at 100 and at GANTRY_BENCH_METRICS_WORKSPACES (default 1000) workspaces, and their ratio.
	GANTRY_BIN=$(BIN)/gantry $(GO) test -run '^$$' -bench '^BenchmarkMetricsSeries$$' -benchtime 1x -timeout 60m ./test/bench/...

.PHONY: bench-delete
bench-delete: build ## Delete 10,000 workspaces of 10 objects each (GANTRY_BENCH_DELETE_WORKSPACES); ~10 min here.
	GANTRY_BIN=$(BIN)/gantry $(GO) test -run '^$$' -bench BenchmarkWorkspaceDeletion -benchtime 1x -timeout 60m ./test/bench/

.PHONY: codegen
codegen: ## Regenerate deepcopy and OpenAPI code, the sdk clients and the serving CRDs.
	./hack/update-codegen.sh

.PHONY: verify-codegen
verify-codegen: codegen ## Fail if generated code is out of date.
	git diff --exit-code -- apis pkg/generated sdk/generated config/serving/crds
	@test -z "$$(git status --porcelain -- apis pkg/generated sdk/generated config/serving/crds)" || { git status --short -- apis pkg/generated sdk/generated config/serving/crds; echo "generated files are new or missing: run make codegen"; exit 1; }

.PHONY: vet
vet: ## gofmt, go vet, and no tracked file over 2 MiB.
	./hack/check-file-sizes.sh
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) vet -tags conformance ./test/conformance

.PHONY: clean
clean: ## Remove build output and the default data directory.
	rm -rf $(BIN) $(DATA_DIR)
