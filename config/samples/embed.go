// Package samples holds the sample manifests that README.md's walkthrough applies (kubectl -f
// config/samples/<file>), embedded so that tests use the very same bytes as fixtures.
package samples

import "embed"

// Files are every sample manifest, by file name.
//
//go:embed *.yaml
var Files embed.FS

// MyCRD is my-crd.yaml: a small Widget CustomResourceDefinition with a scale subresource, the README's "CRD of
// your own".
//
//go:embed my-crd.yaml
var MyCRD string

// MyWidget is my-widget.yaml: a Widget named my-widget, valid for MyCRD and for WidgetsCRD.
//
//go:embed my-widget.yaml
var MyWidget string

// WidgetsCRD is widgets-crd.yaml: the Widget CRD a provider publishes, with defaulting, a CEL rule (size at most
// 100), status and scale subresources, printer columns and the short name wd.
//
//go:embed widgets-crd.yaml
var WidgetsCRD string

// WidgetsSchema is widgets-schema.yaml: the APIResourceSchema v1.widgets.example.com, with defaulting, a CEL rule
// (size at most 100), a status subresource and a printer column.
//
//go:embed widgets-schema.yaml
var WidgetsSchema string

// WidgetsAPIExport is widgets-apiexport.yaml: the APIExport widgets, offering v1.widgets.example.com.
//
//go:embed widgets-apiexport.yaml
var WidgetsAPIExport string

// GPUDeployment is gpu-deployment.yaml: the Deployment llm, two replicas of one GPU each.
//
//go:embed gpu-deployment.yaml
var GPUDeployment string

// LlamaModel is llama-model.yaml: the Model llama (safetensors) with v1 in Production and v2 in Staging.
//
//go:embed llama-model.yaml
var LlamaModel string

// LlamaService is llama-service.yaml: the InferenceService chat, following llama's Production version on vLLM with
// one GPU, preferring H100 nodes.
//
//go:embed llama-service.yaml
var LlamaService string
