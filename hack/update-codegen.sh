#!/usr/bin/env bash
# Regenerates every generated file: deepcopy for apis/, and the OpenAPI definitions of every type Gantry serves
# (k8s.io/api's are generated inside k8s.io/kubernetes, which Gantry does not import, so we generate our own).
set -euo pipefail
cd "$(dirname "$0")/.."
HEADER=hack/boilerplate.go.txt

go tool deepcopy-gen --go-header-file "$HEADER" --output-file zz_generated.deepcopy.go ./apis/...

OPENAPI_PKGS=(
  k8s.io/apimachinery/pkg/apis/meta/v1
  k8s.io/apimachinery/pkg/runtime
  k8s.io/apimachinery/pkg/version
  k8s.io/apimachinery/pkg/util/intstr
  k8s.io/apimachinery/pkg/api/resource
  k8s.io/api/core/v1
  k8s.io/api/rbac/v1
  k8s.io/api/coordination/v1
  k8s.io/api/events/v1
  k8s.io/api/autoscaling/v1
  k8s.io/api/authentication/v1
  k8s.io/api/authorization/v1
  k8s.io/api/admissionregistration/v1
  k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1
  github.com/gantry-dev/gantry/apis/tenancy/v1alpha1
  github.com/gantry-dev/gantry/apis/apis/v1alpha1
  github.com/gantry-dev/gantry/apis/compute/v1alpha1
)
mkdir -p pkg/generated/openapi
go tool openapi-gen --go-header-file "$HEADER" \
  --output-dir pkg/generated/openapi --output-pkg github.com/gantry-dev/gantry/pkg/generated/openapi \
  --output-file zz_generated.openapi.go --output-model-name-file zz_generated.model_name.go \
  --readonly-pkg k8s.io/apimachinery/pkg/apis/meta/v1 --readonly-pkg k8s.io/apimachinery/pkg/runtime \
  --readonly-pkg k8s.io/apimachinery/pkg/version --readonly-pkg k8s.io/apimachinery/pkg/util/intstr \
  --readonly-pkg k8s.io/apimachinery/pkg/api/resource --readonly-pkg k8s.io/api/core/v1 --readonly-pkg k8s.io/api/rbac/v1 \
  --readonly-pkg k8s.io/api/coordination/v1 --readonly-pkg k8s.io/api/events/v1 --readonly-pkg k8s.io/api/autoscaling/v1 \
  --readonly-pkg k8s.io/api/authentication/v1 --readonly-pkg k8s.io/api/authorization/v1 --readonly-pkg k8s.io/api/admissionregistration/v1 \
  --readonly-pkg k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1 \
  --report-filename /dev/null "${OPENAPI_PKGS[@]}"

# The SDK's typed clients, listers, informers and apply configurations for every *.gantry.dev API.
SDK=github.com/gantry-dev/gantry/sdk/generated
API_PKGS=(./apis/apis/v1alpha1 ./apis/tenancy/v1alpha1 ./apis/compute/v1alpha1 ./apis/serving/v1alpha1)
rm -rf sdk/generated
go tool applyconfiguration-gen --go-header-file "$HEADER" \
  --output-dir sdk/generated/applyconfigurations --output-pkg "$SDK/applyconfigurations" "${API_PKGS[@]}"
go tool client-gen --go-header-file "$HEADER" --clientset-name versioned \
  --input-base github.com/gantry-dev/gantry/apis --input apis/v1alpha1 --input tenancy/v1alpha1 --input compute/v1alpha1 --input serving/v1alpha1 \
  --apply-configuration-package "$SDK/applyconfigurations" \
  --output-dir sdk/generated/clientset --output-pkg "$SDK/clientset"
go tool lister-gen --go-header-file "$HEADER" \
  --output-dir sdk/generated/listers --output-pkg "$SDK/listers" "${API_PKGS[@]}"
go tool informer-gen --go-header-file "$HEADER" \
  --versioned-clientset-package "$SDK/clientset/versioned" --listers-package "$SDK/listers" \
  --output-dir sdk/generated/informers --output-pkg "$SDK/informers" "${API_PKGS[@]}"

# The CustomResourceDefinitions of the serving API, which the provider workspace root:serving publishes
# (pkg/servingprovider). The serving types are bound custom resources, not built-ins, so they get no OpenAPI Go code.
rm -f config/serving/crds/*.yaml
go tool controller-gen crd:crdVersions=v1 paths=./apis/serving/... output:crd:artifacts:config=config/serving/crds

# Package comments for the generated packages whose generators write none.
./hack/generated-docs.sh
