package servingoperator

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// applyTarget is one object to server-side apply: what the operator wants, and how to read what it applied last.
type applyTarget struct {
	// desired is the apply configuration.
	desired runtime.ApplyConfiguration
	// key names the object.
	key client.ObjectKey
	// current is an empty object of the kind, to read the live object into.
	current client.Object
	// extract returns the fields the operator's field manager owns in the live object.
	extract func(client.Object) (runtime.ApplyConfiguration, error)
}

// deploymentTarget describes how to apply a Deployment.
func deploymentTarget(d *appsv1ac.DeploymentApplyConfiguration) applyTarget {
	return applyTarget{desired: d, key: client.ObjectKey{Namespace: *d.Namespace, Name: *d.Name},
		current: &appsv1.Deployment{}, extract: func(o client.Object) (runtime.ApplyConfiguration, error) {
			return appsv1ac.ExtractDeployment(o.(*appsv1.Deployment), FieldManager)
		}}
}

// serviceTarget describes how to apply a Service.
func serviceTarget(s *corev1ac.ServiceApplyConfiguration) applyTarget {
	return applyTarget{desired: s, key: client.ObjectKey{Namespace: *s.Namespace, Name: *s.Name},
		current: &corev1.Service{}, extract: func(o client.Object) (runtime.ApplyConfiguration, error) {
			return corev1ac.ExtractService(o.(*corev1.Service), FieldManager)
		}}
}

// configMapTarget describes how to apply a ConfigMap.
func configMapTarget(c *corev1ac.ConfigMapApplyConfiguration) applyTarget {
	return applyTarget{desired: c, key: client.ObjectKey{Namespace: *c.Namespace, Name: *c.Name},
		current: &corev1.ConfigMap{}, extract: func(o client.Object) (runtime.ApplyConfiguration, error) {
			return corev1ac.ExtractConfigMap(o.(*corev1.ConfigMap), FieldManager)
		}}
}

// applyIfChanged server-side applies t unless the fields the operator owns in the live object already equal it,
// so that the requeues of a service that is still progressing send no PATCH. It reports whether it applied.
func (r *Reconciler) applyIfChanged(ctx context.Context, kind string, t applyTarget) (bool, error) {
	err := r.client.Get(ctx, t.key, t.current)
	switch {
	case err == nil:
		owned, err := t.extract(t.current)
		if err != nil {
			return false, fmt.Errorf("read the fields of %s %s: %w", kind, t.key, err)
		}
		if equality.Semantic.DeepEqual(owned, t.desired) {
			return false, nil
		}
	case !apierrors.IsNotFound(err):
		return false, fmt.Errorf("get %s %s: %w", kind, t.key, err)
	}
	if err := r.client.Apply(ctx, t.desired, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return false, fmt.Errorf("apply %s %s: %w", kind, t.key, err)
	}
	appliesTotal.WithLabelValues(kind).Inc()
	return true, nil
}
