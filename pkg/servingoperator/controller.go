package servingoperator

import (
	"context"
	"fmt"
	"net/http"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	servingconfig "github.com/gantry-dev/gantry/config/serving"
)

// DefaultStorageInitializerImage is the image of the init container that downloads a model, KServe's.
const DefaultStorageInitializerImage = "kserve/storage-initializer:v0.15.2"

// Options configure the operator.
type Options struct {
	// StorageInitializerImage is the image of the init container that downloads the model into ModelDir; empty
	// means DefaultStorageInitializerImage.
	StorageInitializerImage string
	// ClusterDomain is the cluster's DNS domain, for status.url; empty means cluster.local.
	ClusterDomain string
	// Cluster names the compute cluster in status.components; empty leaves it out (the control plane knows).
	Cluster string
	// MetricsBindAddress serves /metrics; "0" serves nothing, empty means :8080.
	MetricsBindAddress string
	// HealthProbeBindAddress serves /healthz and /readyz; "" or "0" serves nothing.
	HealthProbeBindAddress string
	// Workers is how many services are reconciled at once; zero means 4.
	Workers int
	// Clock measures the startup budget; nil means the real clock.
	Clock clock.PassiveClock
}

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	if o.StorageInitializerImage == "" {
		o.StorageInitializerImage = DefaultStorageInitializerImage
	}
	if o.ClusterDomain == "" {
		o.ClusterDomain = "cluster.local"
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return o
}

// Reconciler brings one InferenceService's ConfigMap, Deployment and Service to what its spec asks for, and
// writes its status.
type Reconciler struct {
	client          client.Client
	apiReader       client.Reader
	builtinRuntimes []*servingv1alpha1.ServingRuntime
	opts            Options
}

// Field indexes of InferenceServices in the manager's cache.
const (
	// modelRefIndex is spec.predictor.model.modelRef.name, to find the services that follow a Model.
	modelRefIndex = "spec.predictor.model.modelRef.name"
	// labelValueIndex is the service's ServiceLabel value, to find the service of a pod.
	labelValueIndex = "serviceLabelValue"
)

// Scheme returns the scheme the operator's client uses: Kubernetes' built-in types and the serving API.
func Scheme() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(servingv1alpha1.AddToScheme(scheme))
	return scheme
}

// New returns a manager running the operator against the cluster of cfg; Start it to run.
func New(cfg *rest.Config, opts Options) (ctrl.Manager, error) {
	opts = opts.withDefaults()
	builtin, err := servingconfig.Runtimes()
	if err != nil {
		return nil, fmt.Errorf("built-in runtimes: %w", err)
	}
	ours, err := labels.NewRequirement(ServiceLabel, selection.Exists, nil)
	if err != nil {
		return nil, err
	}
	// Cache only the operator's own Deployments, Services, ConfigMaps and pods, not the whole cluster's.
	owned := cache.ByObject{Label: labels.NewSelector().Add(*ours)}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 Scheme(),
		Metrics:                metricsserver.Options{BindAddress: opts.MetricsBindAddress},
		HealthProbeBindAddress: opts.HealthProbeBindAddress,
		Cache: cache.Options{ByObject: map[client.Object]cache.ByObject{
			&appsv1.Deployment{}: owned, &corev1.Service{}: owned, &corev1.ConfigMap{}: owned, &corev1.Pod{}: owned,
		}},
	})
	if err != nil {
		return nil, err
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, err
	}
	if err := mgr.AddReadyzCheck("informers", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return fmt.Errorf("informers not synced")
		}
		return nil
	}); err != nil {
		return nil, err
	}
	r := &Reconciler{client: mgr.GetClient(), apiReader: mgr.GetAPIReader(), builtinRuntimes: builtin, opts: opts}
	if err := r.setupWithManager(mgr); err != nil {
		return nil, err
	}
	return mgr, nil
}

// setupWithManager registers the indexes and the controller with its watches: InferenceServices whose spec,
// labels or annotations change; their Deployments, Services and ConfigMaps (owned); their pods (by ServiceLabel);
// Models (the services that follow them) and ServingRuntimes (every service of the namespace).
func (r *Reconciler) setupWithManager(mgr ctrl.Manager) error {
	ctx := context.Background()
	indexer := mgr.GetFieldIndexer()
	if err := indexer.IndexField(ctx, &servingv1alpha1.InferenceService{}, modelRefIndex, modelRefName); err != nil {
		return err
	}
	if err := indexer.IndexField(ctx, &servingv1alpha1.InferenceService{}, labelValueIndex, func(o client.Object) []string {
		return []string{serviceLabelValue(o.GetName())}
	}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("inferenceservice").
		For(&servingv1alpha1.InferenceService{}, builder.WithPredicates(predicate.Or(
			predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{},
			predicate.AnnotationChangedPredicate{}))).
		Owns(&appsv1.Deployment{}).
		Owns(&corev1.Service{}).
		Owns(&corev1.ConfigMap{}).
		Watches(&corev1.Pod{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfPod)).
		Watches(&servingv1alpha1.Model{}, handler.EnqueueRequestsFromMapFunc(r.servicesFollowingModel)).
		Watches(&servingv1alpha1.ServingRuntime{}, handler.EnqueueRequestsFromMapFunc(r.servicesOfNamespace)).
		WithOptions(controller.Options{MaxConcurrentReconciles: r.opts.Workers}).
		Complete(r)
}

// modelRefName indexes a service by the Model it follows.
func modelRefName(o client.Object) []string {
	isvc := o.(*servingv1alpha1.InferenceService)
	if ref := isvc.Spec.Predictor.Model.ModelRef; ref != nil {
		return []string{ref.Name}
	}
	return nil
}

// servicesOfPod maps a pod to its InferenceService by ServiceLabel.
func (r *Reconciler) servicesOfPod(ctx context.Context, pod client.Object) []reconcile.Request {
	value := pod.GetLabels()[ServiceLabel]
	if value == "" {
		return nil
	}
	return r.servicesMatching(ctx, pod.GetNamespace(), client.MatchingFields{labelValueIndex: value})
}

// servicesFollowingModel maps a Model to the services whose modelRef names it, so that a promotion rolls them.
func (r *Reconciler) servicesFollowingModel(ctx context.Context, model client.Object) []reconcile.Request {
	return r.servicesMatching(ctx, model.GetNamespace(), client.MatchingFields{modelRefIndex: model.GetName()})
}

// servicesOfNamespace maps a ServingRuntime to every service of its namespace: a runtime can be chosen by name,
// by a version's hint or by auto-selection, so any of them may resolve differently now.
func (r *Reconciler) servicesOfNamespace(ctx context.Context, runtime client.Object) []reconcile.Request {
	return r.servicesMatching(ctx, runtime.GetNamespace())
}

// servicesMatching lists the services of a namespace that match opts, as requests.
func (r *Reconciler) servicesMatching(ctx context.Context, namespace string, opts ...client.ListOption) []reconcile.Request {
	var list servingv1alpha1.InferenceServiceList
	if err := r.client.List(ctx, &list, append(opts, client.InNamespace(namespace))...); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "list InferenceServices to requeue", "namespace", namespace)
		return nil
	}
	requests := make([]reconcile.Request, 0, len(list.Items))
	for _, isvc := range list.Items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&isvc)})
	}
	return requests
}
