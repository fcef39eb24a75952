package servingresolve

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
)

// GPUResource is the extended resource of NVIDIA GPUs.
const GPUResource = computev1alpha1.GPUResource

// Catalog is the runtimes a service may use: the ServingRuntimes of its namespace, which win, and the built-in ones
// (config/serving/runtimes).
type Catalog struct {
	// Local are the ServingRuntimes in the service's namespace.
	Local []*servingv1alpha1.ServingRuntime
	// Builtin are the runtimes Gantry ships.
	Builtin []*servingv1alpha1.ServingRuntime
}

// Get returns the runtime of that name: the namespace's, else the built-in one, else nil.
func (c Catalog) Get(name string) *servingv1alpha1.ServingRuntime {
	for _, set := range [][]*servingv1alpha1.ServingRuntime{c.Local, c.Builtin} {
		for _, r := range set {
			if r.Name == name {
				return r
			}
		}
	}
	return nil
}

// AutoSelect returns the runtime chosen for a format when none is named: the first by name among the namespace's
// runtimes, then among the built-in ones, that lists the format with autoSelect true.
func (c Catalog) AutoSelect(format servingv1alpha1.ModelFormatName) *servingv1alpha1.ServingRuntime {
	for _, set := range [][]*servingv1alpha1.ServingRuntime{c.Local, c.Builtin} {
		sorted := append([]*servingv1alpha1.ServingRuntime(nil), set...)
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
		for _, r := range sorted {
			if f := supportedFormat(r, format); f != nil && f.AutoSelect != nil && *f.AutoSelect {
				return r
			}
		}
	}
	return nil
}

// ResolveRuntime returns the runtime that serves the resolved model: spec.predictor.model.runtime, else the model
// version's runtime hint (hint), else the one that auto-selects the format. The runtime must serve the format, and
// support GPUs when the predictor asks for nvidia.com/gpu.
func ResolveRuntime(predictor *servingv1alpha1.PredictorModel, resolved *servingv1alpha1.ResolvedModel, hint string,
	catalog Catalog) (*servingv1alpha1.ServingRuntime, *Error) {
	var runtime *servingv1alpha1.ServingRuntime
	switch name := predictor.Runtime; {
	case name != "":
		if runtime = catalog.Get(name); runtime == nil {
			return nil, &Error{Reason: ReasonRuntimeNotFound, Field: runtimePath, Value: name,
				Message: fmt.Sprintf("no ServingRuntime %q in this namespace and no built-in one: use one of %s, "+
					"or create it", name, catalog.names())}
		}
	case hint != "":
		if runtime = catalog.Get(hint); runtime == nil {
			return nil, &Error{Reason: ReasonRuntimeNotFound, Field: modelRefPath, Value: hint,
				Message: fmt.Sprintf("Model %q version %q names runtime %q, which is neither in this namespace "+
					"nor built in: set spec.predictor.model.runtime to one of %s", resolved.Name, resolved.Version,
					hint, catalog.names())}
		}
	default:
		if runtime = catalog.AutoSelect(resolved.Format); runtime == nil {
			return nil, &Error{Reason: ReasonNoRuntimeForFormat, Field: runtimePath, Value: "",
				Message: fmt.Sprintf("no runtime serves format %q by default: set spec.predictor.model.runtime",
					resolved.Format)}
		}
	}
	if supportedFormat(runtime, resolved.Format) == nil {
		return nil, &Error{Reason: ReasonRuntimeFormatMismatch, Field: runtimePath, Value: runtime.Name,
			Message: fmt.Sprintf("runtime %q does not serve format %q (it serves %s): choose a runtime that does",
				runtime.Name, resolved.Format, formatNames(runtime))}
	}
	if RequestsGPU(predictor.Resources) && !runtime.Spec.GPU {
		return nil, &Error{Reason: ReasonGPUNotSupported, Field: resourcesPath, Value: GPUResource,
			Message: fmt.Sprintf("runtime %q does not support GPUs: remove the %s request or choose a GPU "+
				"runtime", runtime.Name, GPUResource)}
	}
	return runtime, nil
}

// RequestsGPU reports whether requirements ask for at least one nvidia.com/gpu, as a request or a limit.
func RequestsGPU(requirements corev1.ResourceRequirements) bool {
	return GPUs(requirements) > 0
}

// GPUs returns the number of nvidia.com/gpu requirements ask for: the request, else the limit.
func GPUs(requirements corev1.ResourceRequirements) int64 {
	return computev1alpha1.RequestedGPUs(requirements)
}

// supportedFormat returns the runtime's entry for a format, or nil.
func supportedFormat(r *servingv1alpha1.ServingRuntime, format servingv1alpha1.ModelFormatName) *servingv1alpha1.SupportedModelFormat {
	for i := range r.Spec.SupportedModelFormats {
		if r.Spec.SupportedModelFormats[i].Name == format {
			return &r.Spec.SupportedModelFormats[i]
		}
	}
	return nil
}

// names lists the catalog's runtimes for a message, without repeats.
func (c Catalog) names() string {
	seen := map[string]bool{}
	var names []string
	for _, set := range [][]*servingv1alpha1.ServingRuntime{c.Local, c.Builtin} {
		for _, r := range set {
			if !seen[r.Name] {
				seen[r.Name] = true
				names = append(names, r.Name)
			}
		}
	}
	sort.Strings(names)
	return fmt.Sprintf("%q", names)
}

// formatNames lists the formats a runtime serves, for a message.
func formatNames(r *servingv1alpha1.ServingRuntime) string {
	names := make([]string, len(r.Spec.SupportedModelFormats))
	for i, f := range r.Spec.SupportedModelFormats {
		names[i] = string(f.Name)
	}
	return fmt.Sprintf("%q", names)
}
