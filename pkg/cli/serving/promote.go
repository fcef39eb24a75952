package serving

import (
	"context"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// PromotedCause is the change-cause of a service copied from the workspace at path.
func PromotedCause(path string) string { return "promoted from " + path }

// SetStage moves version to stage in model; a version leaving Production for another's promotion is Archived, as
// at most one version may be in Production. It fails when the version does not exist.
func SetStage(model *servingv1alpha1.Model, version string, stage servingv1alpha1.ModelStage) error {
	found := false
	for i := range model.Spec.Versions {
		v := &model.Spec.Versions[i]
		switch {
		case v.Name == version:
			v.Stage, found = stage, true
		case stage == servingv1alpha1.StageProduction && v.Stage == servingv1alpha1.StageProduction:
			v.Stage = servingv1alpha1.StageArchived
		}
	}
	if !found {
		names := make([]string, len(model.Spec.Versions))
		for i, v := range model.Spec.Versions {
			names[i] = v.Name
		}
		return fmt.Errorf("model/%s has no version %q; it has %v", model.Name, version, names)
	}
	return nil
}

// PromoteModel moves a Model's version to stage (Staging or Production); every InferenceService following that
// stage then rolls to it, and the history records why.
func PromoteModel(ctx context.Context, client versioned.Interface, namespace, name, version string, stage servingv1alpha1.ModelStage, out io.Writer) error {
	models := client.ServingV1alpha1().Models(namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		model, err := models.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		model = model.DeepCopy()
		if err := SetStage(model, version, stage); err != nil {
			return err
		}
		if model.Annotations == nil {
			model.Annotations = map[string]string{}
		}
		model.Annotations[servingv1alpha1.ChangeCauseAnnotation] = fmt.Sprintf("version %s promoted to %s", version, stage)
		_, err = models.Update(ctx, model, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "model.serving.gantry.dev/%s version %s promoted to %s\n", name, version, stage)
	return err
}

// inferenceServicesResource is the resource PromoteService copies, read and written as the server stores it.
var inferenceServicesResource = servingv1alpha1.SchemeGroupVersion.WithResource("inferenceservices")

// PromoteService copies a service's exact spec, as stored, to the same namespace of another workspace (target,
// reached through its own client with the user's credentials), creating or updating it there with the change-cause
// "promoted from <source path>".
func PromoteService(ctx context.Context, source, target dynamic.Interface, sourcePath, targetPath, namespace, name string, out io.Writer) error {
	isvc, err := source.Resource(inferenceServicesResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	spec, found, err := unstructured.NestedFieldCopy(isvc.Object, "spec")
	if err != nil || !found {
		return fmt.Errorf("inferenceservice/%s has no spec to promote", name)
	}
	services := target.Resource(inferenceServicesResource).Namespace(namespace)
	action := "created"
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		existing, err := services.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			copied := &unstructured.Unstructured{Object: map[string]interface{}{
				"apiVersion": servingv1alpha1.SchemeGroupVersion.String(), "kind": "InferenceService",
				"metadata": map[string]interface{}{"namespace": namespace, "name": name,
					"annotations": map[string]interface{}{servingv1alpha1.ChangeCauseAnnotation: PromotedCause(sourcePath)}},
				"spec": spec,
			}}
			_, err = services.Create(ctx, copied, metav1.CreateOptions{})
			return err
		case err != nil:
			return err
		}
		action = "updated"
		existing.Object["spec"] = runtime.DeepCopyJSONValue(spec)
		annotations := existing.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[servingv1alpha1.ChangeCauseAnnotation] = PromotedCause(sourcePath)
		existing.SetAnnotations(annotations)
		_, err = services.Update(ctx, existing, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "inferenceservice.serving.gantry.dev/%s %s in %s (promoted from %s)\n", name, action, targetPath, sourcePath)
	return err
}
