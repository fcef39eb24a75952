package servingoperator

import (
	"context"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/health"
	"github.com/gantry-dev/gantry/pkg/servingresolve"
)

// progressingRecheck is how soon, at most, a Progressing service is looked at again without an event, so that a
// pod that never becomes ready turns Degraded (StartupTimeout) soon after its budget runs out; a runtime with a
// shorter budget is looked at after its budget.
const progressingRecheck = 30 * time.Second

// Reconcile resolves the service, applies its objects, judges their health and writes the status. A spec that
// cannot be served is reported (InvalidSpec) and not retried until something it depends on changes; the objects
// of an earlier, valid spec are left serving.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	isvc := &servingv1alpha1.InferenceService{}
	if err := r.client.Get(ctx, req.NamespacedName, isvc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if isvc.DeletionTimestamp != nil {
		return ctrl.Result{}, nil // the garbage collector deletes what the service owns
	}
	now := metav1.NewTime(r.opts.Clock.Now())
	resolution, invalid, err := r.resolve(ctx, isvc)
	if err != nil {
		return ctrl.Result{}, err
	}
	if invalid != nil {
		return ctrl.Result{}, r.writeStatus(ctx, isvc, unresolvedStatus(isvc, invalid, now))
	}
	applied, err := r.applyObjects(ctx, isvc, resolution)
	if err != nil {
		if statusErr := r.writeStatus(ctx, isvc, applyFailedStatus(isvc, resolution, err)); statusErr != nil {
			ctrl.LoggerFrom(ctx).Error(statusErr, "write status")
		}
		return ctrl.Result{}, err
	}
	obs, err := r.observe(ctx, isvc, resolution, applied)
	if err != nil {
		return ctrl.Result{}, err
	}
	if err := r.writeStatus(ctx, isvc, resolvedStatus(isvc, resolution, obs, now)); err != nil {
		return ctrl.Result{}, err
	}
	if obs.result.State == health.Progressing {
		return ctrl.Result{RequeueAfter: min(progressingRecheck, startupBudget(resolution.Runtime))}, nil
	}
	return ctrl.Result{}, nil
}

// applyObjects applies the ConfigMap, the Deployment and the Service, each only if it changed. It reports whether
// the Deployment was applied.
func (r *Reconciler) applyObjects(ctx context.Context, isvc *servingv1alpha1.InferenceService,
	resolution *servingresolve.Resolution) (bool, error) {
	d := &desired{isvc: isvc, resolution: resolution, opts: &r.opts}
	config := d.runtimeConfig()
	if _, err := r.applyIfChanged(ctx, "ConfigMap", configMapTarget(d.configMap(config))); err != nil {
		return false, err
	}
	appliedDeployment, err := r.applyIfChanged(ctx, "Deployment", deploymentTarget(d.deployment(hashData(config))))
	if err != nil {
		return false, err
	}
	if _, err := r.applyIfChanged(ctx, "Service", serviceTarget(d.service())); err != nil {
		return false, err
	}
	return appliedDeployment, nil
}

// observe reads the Deployment and its pods and judges them. Right after an apply the Deployment is read from the
// API server, because the cache may not have seen it yet and would make it look Missing.
func (r *Reconciler) observe(ctx context.Context, isvc *servingv1alpha1.InferenceService,
	resolution *servingresolve.Resolution, justApplied bool) (observation, error) {
	name := predictorName(isvc.Name)
	var reader client.Reader = r.client
	if justApplied {
		reader = r.apiReader
	}
	deployment := &appsv1.Deployment{}
	if err := reader.Get(ctx, client.ObjectKey{Namespace: isvc.Namespace, Name: name}, deployment); apierrors.IsNotFound(err) {
		deployment = nil
	} else if err != nil {
		return observation{}, err
	}
	var pods corev1.PodList
	if err := r.client.List(ctx, &pods, client.InNamespace(isvc.Namespace),
		client.MatchingLabels{ServiceLabel: serviceLabelValue(isvc.Name)}); err != nil {
		return observation{}, err
	}
	tree, result := health.Evaluate(deployment, pods.Items, health.Options{Cluster: r.opts.Cluster,
		DeploymentName: name, StartupBudget: startupBudget(resolution.Runtime), Clock: r.opts.Clock})
	return observation{deployment: deployment, tree: tree, result: result,
		url: serviceURL(isvc.Name, isvc.Namespace, r.opts.ClusterDomain)}, nil
}
