package admission

import (
	"context"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/admission"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	servingconfig "github.com/gantry-dev/gantry/config/serving"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/servingresolve"
	"github.com/gantry-dev/gantry/sdk"
)

// The serving resources whose admission Gantry takes part in.
var (
	inferenceServices = servingv1alpha1.SchemeGroupVersion.WithResource("inferenceservices").GroupResource()
	models            = servingv1alpha1.SchemeGroupVersion.WithResource("models").GroupResource()
)

// ServingReader reads the serving objects an InferenceService refers to, in one workspace.
type ServingReader interface {
	// Model returns the Model of that name in the namespace, or nil when there is none.
	Model(ctx context.Context, cluster logicalcluster.Name, namespace, name string) (*servingv1alpha1.Model, error)
	// Runtimes returns the namespace's own ServingRuntimes.
	Runtimes(ctx context.Context, cluster logicalcluster.Name, namespace string) ([]*servingv1alpha1.ServingRuntime, error)
}

// ServingRefs refuses an InferenceService whose references cannot be served: a missing Model or version, an
// unknown runtime, a runtime that does not serve the model's format, GPUs on a runtime without GPU support. It
// resolves the spec with servingresolve against the Model in the service's namespace and workspace, that
// namespace's ServingRuntimes and the built-in ones, on creation and on an update that changes the spec (a status
// or metadata write is not judged again: a Model deleted later is reported by the operator as a condition).
type ServingRefs struct {
	// Reader reads Models and ServingRuntimes of the request's workspace.
	Reader ServingReader

	builtinOnce sync.Once
	builtin     []*servingv1alpha1.ServingRuntime
	builtinErr  error
}

var _ admission.ValidationInterface = &ServingRefs{}

// Handles implements admission.Interface: creations and updates.
func (s *ServingRefs) Handles(op admission.Operation) bool {
	return op == admission.Create || op == admission.Update
}

// Validate implements admission.ValidationInterface.
func (s *ServingRefs) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != inferenceServices || a.GetSubresource() != "" || !specChanged(a) {
		return nil
	}
	cluster, ok := logicalcluster.From(ctx)
	if !ok || cluster == logicalcluster.Wildcard {
		return nil // storage refuses these on its own
	}
	isvc, err := toInferenceService(a.GetObject())
	if err != nil {
		return nil // the schema refuses what does not decode
	}
	predictor := &isvc.Spec.Predictor.Model
	var model *servingv1alpha1.Model
	if predictor.ModelRef != nil {
		if model, err = s.Reader.Model(ctx, cluster, a.GetNamespace(), predictor.ModelRef.Name); err != nil {
			return apierrors.NewInternalError(fmt.Errorf("reading Model %q: %w", predictor.ModelRef.Name, err))
		}
	}
	local, err := s.Reader.Runtimes(ctx, cluster, a.GetNamespace())
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("reading the namespace's ServingRuntimes: %w", err))
	}
	builtin, err := s.builtins()
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if _, refused := servingresolve.Resolve(predictor, model, servingresolve.Catalog{Local: local, Builtin: builtin}); refused != nil {
		return apierrors.NewInvalid(schema.GroupKind{Group: servingv1alpha1.GroupName, Kind: "InferenceService"},
			a.GetName(), field.ErrorList{refused.FieldError()})
	}
	return nil
}

// builtins returns the built-in ServingRuntimes, parsed once.
func (s *ServingRefs) builtins() ([]*servingv1alpha1.ServingRuntime, error) {
	s.builtinOnce.Do(func() { s.builtin, s.builtinErr = servingconfig.Runtimes() })
	return s.builtin, s.builtinErr
}

// toInferenceService decodes the admitted object: unstructured for a bound resource, typed otherwise.
func toInferenceService(obj runtime.Object) (*servingv1alpha1.InferenceService, error) {
	switch o := obj.(type) {
	case *servingv1alpha1.InferenceService:
		return o, nil
	case *unstructured.Unstructured:
		isvc := &servingv1alpha1.InferenceService{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, isvc); err != nil {
			return nil, err
		}
		return isvc, nil
	default:
		return nil, fmt.Errorf("unexpected %T", obj)
	}
}

// specChanged reports whether the request creates the object or changes its spec: the writes that are judged
// again and that record who made them and why. Specs are compared as their Go types when the resource is one of the
// serving ones, so that a client's different spelling of the same spec (an empty resources: {} that a typed client
// writes) is no change.
func specChanged(a admission.Attributes) bool {
	switch a.GetOperation() {
	case admission.Create:
		return true
	case admission.Update:
		gr := a.GetResource().GroupResource()
		return !equality.Semantic.DeepEqual(specOf(gr, a.GetOldObject()), specOf(gr, a.GetObject()))
	default:
		return false
	}
}

// specOf returns an object's spec: typed for InferenceServices and Models, else as plain JSON values.
func specOf(gr schema.GroupResource, obj runtime.Object) interface{} {
	if obj == nil {
		return nil
	}
	var content map[string]interface{}
	if u, ok := obj.(runtime.Unstructured); ok {
		content = u.UnstructuredContent()
	} else {
		converted, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil
		}
		content = converted
	}
	raw, _ := content["spec"].(map[string]interface{})
	var typed interface{}
	switch gr {
	case inferenceServices:
		typed = &servingv1alpha1.InferenceServiceSpec{}
	case models:
		typed = &servingv1alpha1.ModelSpec{}
	default:
		return content["spec"]
	}
	if raw == nil {
		return typed
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, typed); err != nil {
		return content["spec"] // what does not decode compares as written
	}
	return typed
}

// ClientServingReader reads through privileged clients of one workspace at a time: the request's.
type ClientServingReader struct {
	// Clients makes the privileged clients.
	Clients *sdk.Client
}

// Model implements ServingReader.
func (r ClientServingReader) Model(ctx context.Context, cluster logicalcluster.Name, namespace, name string) (*servingv1alpha1.Model, error) {
	client, err := r.Clients.Gantry(string(cluster))
	if err != nil {
		return nil, err
	}
	model, err := client.ServingV1alpha1().Models(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return model, err
}

// Runtimes implements ServingReader.
func (r ClientServingReader) Runtimes(ctx context.Context, cluster logicalcluster.Name, namespace string) ([]*servingv1alpha1.ServingRuntime, error) {
	client, err := r.Clients.Gantry(string(cluster))
	if err != nil {
		return nil, err
	}
	list, err := client.ServingV1alpha1().ServingRuntimes(namespace).List(ctx, metav1.ListOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil // the workspace binds no ServingRuntimes
	}
	if err != nil {
		return nil, err
	}
	out := make([]*servingv1alpha1.ServingRuntime, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}
