package servingoperator

import (
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/health"
	"github.com/gantry-dev/gantry/pkg/servingresolve"
)

// GPUProductLabel is the node label naming a node's GPU model, as NVIDIA's GPU feature discovery sets it; a
// service's spec.predictor.gpuProduct becomes a required node affinity on it.
const GPUProductLabel = "nvidia.com/gpu.product"

// probePeriodSeconds is how often the server's probes run.
const probePeriodSeconds = 10

// notPropagatedPrefixes are label and annotation keys of an InferenceService that do not reach its pods: the
// syncer's bookkeeping, the serving API's own (the revision changes on every spec change and must not roll pods
// by itself) and kubectl's.
var notPropagatedPrefixes = []string{"workload.gantry.dev/", "serving.gantry.dev/", "kubectl.kubernetes.io/"}

// desired is everything the operator makes for one resolved InferenceService.
type desired struct {
	isvc       *servingv1alpha1.InferenceService
	resolution *servingresolve.Resolution
	opts       *Options
}

// probePaths are a protocol's readiness and liveness endpoints.
func probePaths(protocol servingv1alpha1.Protocol) (ready, live string) {
	if protocol == servingv1alpha1.ProtocolOpenAI {
		return "/health", "/health"
	}
	return "/v2/health/ready", "/v2/health/live"
}

// startupBudget is how long the runtime may take to become ready.
func startupBudget(runtime *servingv1alpha1.ServingRuntime) time.Duration {
	if s := runtime.Spec.StartupBudgetSeconds; s != nil && *s > 0 {
		return time.Duration(*s) * time.Second
	}
	return health.DefaultStartupBudget
}

// replicas is the number of replicas the Deployment runs: minReplicas, default 1 (autoscaling is not done).
func replicas(isvc *servingv1alpha1.InferenceService) int32 {
	if m := isvc.Spec.Predictor.MinReplicas; m != nil {
		return *m
	}
	return 1
}

// ownerReference makes the InferenceService the controller of an object, so that the garbage collector deletes
// the object with it and controller-runtime maps the object's events back to it.
func ownerReference(isvc *servingv1alpha1.InferenceService) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().WithAPIVersion(servingv1alpha1.SchemeGroupVersion.String()).
		WithKind("InferenceService").WithName(isvc.Name).WithUID(isvc.UID).WithController(true)
}

// objectLabels are the labels of every object made for the service.
func objectLabels(isvc *servingv1alpha1.InferenceService) map[string]string {
	return map[string]string{ServiceLabel: serviceLabelValue(isvc.Name), componentLabel: "predictor",
		managedByLabel: FieldManager}
}

// propagated returns the service's labels or annotations that reach its pods.
func propagated(in map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range in {
		keep := true
		for _, p := range notPropagatedPrefixes {
			keep = keep && !strings.HasPrefix(k, p)
		}
		if keep {
			out[k] = v
		}
	}
	return out
}

// deployment is the predictor's Deployment: minReplicas replicas of the runtime's server, the model downloaded
// by the storage initializer.
func (d *desired) deployment(configHash string) *appsv1ac.DeploymentApplyConfiguration {
	labels := objectLabels(d.isvc)
	podLabels := propagated(d.isvc.Labels)
	for k, v := range labels {
		podLabels[k] = v
	}
	podAnnotations := propagated(d.isvc.Annotations)
	podAnnotations[ConfigHashAnnotation] = configHash
	return appsv1ac.Deployment(predictorName(d.isvc.Name), d.isvc.Namespace).
		WithLabels(labels).
		WithOwnerReferences(ownerReference(d.isvc)).
		WithSpec(appsv1ac.DeploymentSpec().
			WithReplicas(replicas(d.isvc)).
			WithSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{
				ServiceLabel: serviceLabelValue(d.isvc.Name)})).
			WithTemplate(corev1ac.PodTemplateSpec().
				WithLabels(podLabels).
				WithAnnotations(podAnnotations).
				WithSpec(d.podSpec())))
}

// podSpec is the storage initializer, the server, their shared model directory and the runtime config.
func (d *desired) podSpec() *corev1ac.PodSpecApplyConfiguration {
	spec := corev1ac.PodSpec().
		WithInitContainers(d.storageInitializer()).
		WithContainers(d.server()).
		WithVolumes(
			corev1ac.Volume().WithName(modelVolume).WithEmptyDir(corev1ac.EmptyDirVolumeSource()),
			corev1ac.Volume().WithName(configVolume).WithConfigMap(
				corev1ac.ConfigMapVolumeSource().WithName(configMapName(d.isvc.Name))))
	if product := d.isvc.Spec.Predictor.GPUProduct; product != "" {
		spec.WithAffinity(gpuProductAffinity(product))
	}
	return spec
}

// gpuProductAffinity requires a node whose GPU is product.
func gpuProductAffinity(product string) *corev1ac.AffinityApplyConfiguration {
	return corev1ac.Affinity().WithNodeAffinity(corev1ac.NodeAffinity().
		WithRequiredDuringSchedulingIgnoredDuringExecution(corev1ac.NodeSelector().WithNodeSelectorTerms(
			corev1ac.NodeSelectorTerm().WithMatchExpressions(corev1ac.NodeSelectorRequirement().
				WithKey(GPUProductLabel).WithOperator(corev1.NodeSelectorOpIn).WithValues(product)))))
}

// storageInitializer downloads the model into ModelDir, the way KServe's storage initializer is called: the
// storage URI and the destination directory as its two arguments.
func (d *desired) storageInitializer() *corev1ac.ContainerApplyConfiguration {
	return corev1ac.Container().WithName(StorageInitializerContainer).
		WithImage(d.opts.StorageInitializerImage).
		WithArgs(d.resolution.Model.StorageURI, ModelDir).
		WithVolumeMounts(corev1ac.VolumeMount().WithName(modelVolume).WithMountPath(ModelDir))
}

// server is the runtime's container with the service's resources and the protocol's probes.
func (d *desired) server() *corev1ac.ContainerApplyConfiguration {
	rt := d.resolution.Runtime.Spec
	ready, live := probePaths(rt.Protocol)
	c := corev1ac.Container().WithName(ServerContainer).WithImage(rt.Image).
		WithCommand(rt.Command...).WithArgs(rt.Args...).
		WithPorts(corev1ac.ContainerPort().WithName(httpPortName).WithContainerPort(runtimePort(d.resolution.Runtime)).
			WithProtocol(corev1.ProtocolTCP)).
		WithResources(d.resources()).
		WithStartupProbe(httpProbe(live).WithFailureThreshold(startupFailureThreshold(d.resolution.Runtime))).
		WithReadinessProbe(httpProbe(ready).WithFailureThreshold(3)).
		WithLivenessProbe(httpProbe(live).WithFailureThreshold(3)).
		WithVolumeMounts(
			corev1ac.VolumeMount().WithName(modelVolume).WithMountPath(ModelDir).WithReadOnly(true),
			corev1ac.VolumeMount().WithName(configVolume).WithMountPath(ConfigDir).WithReadOnly(true))
	for i := range rt.Env {
		c.WithEnv(envVar(rt.Env[i]))
	}
	return c
}

// runtimePort is the runtime's port, 8080 when unset.
func runtimePort(runtime *servingv1alpha1.ServingRuntime) int32 {
	if runtime.Spec.Port > 0 {
		return runtime.Spec.Port
	}
	return 8080
}

// startupFailureThreshold lets the startup probe fail for the whole startup budget, so that the liveness probe
// does not kill a server that is still loading weights.
func startupFailureThreshold(runtime *servingv1alpha1.ServingRuntime) int32 {
	seconds := int32(startupBudget(runtime) / time.Second)
	return (seconds + probePeriodSeconds - 1) / probePeriodSeconds
}

// httpProbe probes path on the server's http port.
func httpProbe(path string) *corev1ac.ProbeApplyConfiguration {
	return corev1ac.Probe().WithPeriodSeconds(probePeriodSeconds).
		WithHTTPGet(corev1ac.HTTPGetAction().WithPath(path).WithPort(intstr.FromString(httpPortName)))
}

// resources are the spec's requirements, else the runtime's; a GPU count, asked for as a request or a limit, is
// set as both, as Kubernetes requires for extended resources.
func (d *desired) resources() *corev1ac.ResourceRequirementsApplyConfiguration {
	source := d.isvc.Spec.Predictor.Model.Resources
	if len(source.Requests) == 0 && len(source.Limits) == 0 {
		source = d.resolution.Runtime.Spec.Resources
	}
	requests, limits := source.Requests.DeepCopy(), source.Limits.DeepCopy()
	if gpus := servingresolve.GPUs(source); gpus > 0 {
		if requests == nil {
			requests = corev1.ResourceList{}
		}
		if limits == nil {
			limits = corev1.ResourceList{}
		}
		requests[servingresolve.GPUResource] = *resource.NewQuantity(gpus, resource.DecimalSI)
		limits[servingresolve.GPUResource] = *resource.NewQuantity(gpus, resource.DecimalSI)
	}
	out := corev1ac.ResourceRequirements()
	if len(requests) > 0 {
		out.WithRequests(requests)
	}
	if len(limits) > 0 {
		out.WithLimits(limits)
	}
	return out
}

// envVar converts one of the runtime's environment variables.
func envVar(e corev1.EnvVar) *corev1ac.EnvVarApplyConfiguration {
	out := corev1ac.EnvVar().WithName(e.Name)
	if e.Value != "" {
		out.WithValue(e.Value)
	}
	if from := e.ValueFrom; from != nil {
		src := corev1ac.EnvVarSource()
		if r := from.FieldRef; r != nil {
			src.WithFieldRef(corev1ac.ObjectFieldSelector().WithFieldPath(r.FieldPath))
		}
		if r := from.ResourceFieldRef; r != nil {
			sel := corev1ac.ResourceFieldSelector().WithResource(r.Resource)
			if r.ContainerName != "" {
				sel.WithContainerName(r.ContainerName)
			}
			src.WithResourceFieldRef(sel)
		}
		if r := from.ConfigMapKeyRef; r != nil {
			src.WithConfigMapKeyRef(corev1ac.ConfigMapKeySelector().WithName(r.Name).WithKey(r.Key))
		}
		if r := from.SecretKeyRef; r != nil {
			src.WithSecretKeyRef(corev1ac.SecretKeySelector().WithName(r.Name).WithKey(r.Key))
		}
		out.WithValueFrom(src)
	}
	return out
}
