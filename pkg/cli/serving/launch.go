package serving

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/servingresolve"
)

// launchOptions are the flags of `kubectl gantry launch`.
type launchOptions struct {
	name       string
	gpus       int64
	replicas   int32
	runtime    string
	gpuProduct string
	noWait     bool
	timeout    time.Duration
}

// NewLaunchCommand returns `kubectl gantry launch MODEL[:VERSION]`.
func NewLaunchCommand(f *plugin.Factory) *cobra.Command {
	o := &launchOptions{}
	cmd := &cobra.Command{
		Use:   "launch MODEL[:VERSION] [--name NAME] [--gpus N] [--replicas N] [--runtime R] [--gpu-product P]",
		Short: "Serve a registered Model: create an InferenceService and follow it to Healthy",
		Long: `Create an InferenceService that serves a version of a Model of the namespace: the version given, else the
version in stage Production. Then follow its health, printing each change, until it is Healthy (exit 0) or
Degraded (exit 1, with the reason). --no-wait returns once it is created.`,
		Example: `  kubectl gantry launch llama-8b
  kubectl gantry launch llama-8b:v2 --name llama-canary --gpus 1 --gpu-product NVIDIA-H100-80GB-HBM3
  kubectl gantry launch resnet:v1 --runtime triton --replicas 2 -n vision --no-wait`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return runLaunch(ctx, f, args[0], o)
		},
	}
	cmd.Flags().StringVar(&o.name, "name", "", "Name of the InferenceService (default: the Model's name).")
	cmd.Flags().Int64Var(&o.gpus, "gpus", 0, "nvidia.com/gpu per replica (requests and limits).")
	cmd.Flags().Int32Var(&o.replicas, "replicas", 1, "Number of replicas (minReplicas and maxReplicas).")
	cmd.Flags().StringVar(&o.runtime, "runtime", "", "ServingRuntime to serve with (default: the version's hint, else chosen by format).")
	cmd.Flags().StringVar(&o.gpuProduct, "gpu-product", "", "GPU product the replicas must run on (nvidia.com/gpu.product).")
	cmd.Flags().BoolVar(&o.noWait, "no-wait", false, "Return once the InferenceService is created.")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 10*time.Minute, "How long to wait for Healthy.")
	return cmd
}

// runLaunch resolves the model reference, creates the service and, unless --no-wait, follows it to Healthy.
func runLaunch(ctx context.Context, f *plugin.Factory, ref string, o *launchOptions) error {
	modelName, version, err := launchParseRef(ref)
	if err != nil {
		return err
	}
	if o.gpus < 0 {
		return fmt.Errorf("--gpus must not be negative, got %d", o.gpus)
	}
	if o.replicas < 0 {
		return fmt.Errorf("--replicas must not be negative, got %d", o.replicas)
	}
	client, ns, err := namespacedClient(f)
	if err != nil {
		return err
	}
	serving := client.ServingV1alpha1()
	model, err := serving.Models(ns).Get(ctx, modelName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("no Model %q in namespace %q: register it first, or see `kubectl gantry models -n %s`", modelName, ns, ns)
	}
	if err != nil {
		return err
	}
	version, err = launchPickVersion(model, version)
	if err != nil {
		return err
	}
	isvc := launchService(model, version, o)
	isvc.Namespace = ns
	created, err := serving.InferenceServices(ns).Create(ctx, isvc, metav1.CreateOptions{})
	if err != nil {
		return err // the server's own error, printed as kubectl prints it (a 422 names the field)
	}
	out := f.IOStreams.Out
	fmt.Fprintf(out, "inferenceservice.serving.gantry.dev/%s created in namespace %s, serving %s:%s\n", created.Name, ns, model.Name, version)
	if o.noWait {
		return nil
	}
	return WaitHealthy(ctx, client, ns, created.Name, o.timeout, out)
}

// launchParseRef splits MODEL[:VERSION].
func launchParseRef(ref string) (model, version string, err error) {
	model, version, hasVersion := strings.Cut(ref, ":")
	if errs := validation.IsDNS1123Subdomain(model); len(errs) > 0 {
		return "", "", fmt.Errorf("%q is not MODEL[:VERSION]: the model name %q is invalid: %s", ref, model, strings.Join(errs, "; "))
	}
	if hasVersion && version == "" {
		return "", "", fmt.Errorf("%q is not MODEL[:VERSION]: no version after ':'", ref)
	}
	return model, version, nil
}

// launchPickVersion returns the version to serve: the one asked for, which must exist, else the one in stage
// Production. Without either it refuses, listing the Model's versions and their stages.
func launchPickVersion(model *servingv1alpha1.Model, version string) (string, error) {
	if version != "" {
		if _, rerr := servingresolve.PickVersion(model, &servingv1alpha1.ModelReference{Name: model.Name, Version: version}); rerr != nil {
			return "", fmt.Errorf("cannot launch %s:%s: %s", model.Name, version, rerr.Message)
		}
		return version, nil
	}
	for _, v := range model.Spec.Versions {
		if v.Stage == servingv1alpha1.StageProduction {
			return v.Name, nil
		}
	}
	if len(model.Spec.Versions) == 0 {
		return "", fmt.Errorf("cannot launch %s: the Model has no versions yet; add one to spec.versions", model.Name)
	}
	return "", fmt.Errorf("cannot launch %s: no version of the Model is in stage Production; name one (%s:VERSION) or promote one. "+
		"Its versions: %s", model.Name, model.Name, modelsVersionList(model))
}

// launchService is the InferenceService that launch creates: modelRef to the version, with the flags' resources.
func launchService(model *servingv1alpha1.Model, version string, o *launchOptions) *servingv1alpha1.InferenceService {
	name := o.name
	if name == "" {
		name = model.Name
	}
	replicas := o.replicas
	isvc := &servingv1alpha1.InferenceService{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: servingv1alpha1.InferenceServiceSpec{Predictor: servingv1alpha1.PredictorSpec{
			Model: servingv1alpha1.PredictorModel{
				Runtime:  o.runtime,
				ModelRef: &servingv1alpha1.ModelReference{Name: model.Name, Version: version},
			},
			MinReplicas: &replicas,
			MaxReplicas: &replicas,
			GPUProduct:  o.gpuProduct,
		}},
	}
	if o.gpus > 0 {
		gpus := corev1.ResourceList{servingresolve.GPUResource: *resource.NewQuantity(o.gpus, resource.DecimalSI)}
		isvc.Spec.Predictor.Model.Resources = corev1.ResourceRequirements{Requests: gpus, Limits: gpus.DeepCopy()}
	}
	return isvc
}
