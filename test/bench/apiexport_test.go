package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/yaml"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/sdk"
	"github.com/gantry-dev/gantry/sdk/controllerruntime"
	"github.com/gantry-dev/gantry/test/harness"
)

var (
	widgets  = schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}
	bindings = schema.GroupVersionResource{Group: "apis.gantry.dev", Version: "v1alpha1", Resource: "apibindings"}
)

// each runs f for i in [0, n) on 16 goroutines.
func each(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < 16; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
				f(int(i))
			}
		}()
	}
	wg.Wait()
}

// BenchmarkProviderAcrossWorkspaces binds one export in GANTRY_BENCH_WORKSPACES (default 1000) workspaces and
// reports the server's RSS per binding and per bound object, then how many objects per second a controller-runtime provider reconciles
// (reads and writes the status of) through the export's virtual workspace, one widget per workspace.
func BenchmarkProviderAcrossWorkspaces(b *testing.B) {
	ctrllog.SetLogger(logr.Discard())
	n := envInt("GANTRY_BENCH_WORKSPACES", 1000)
	ctx := context.Background()
	s := harness.Start(b)
	s.CreateWorkspace(b, "root", "provider")
	s.Kubectl("root:provider").WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).
		MustRun(b, "create", "-f", "-")
	s.Kubectl("root:provider").MustRun(b, "wait", "--for=condition=IdentityValid", "apiexport/widgets", "--timeout=60s")
	_, dyn := s.Clients(b, "root")
	createReady(b, dyn, "ws", n, 16)
	time.Sleep(2 * time.Second)
	before, err := s.RSSKiB()
	if err != nil {
		b.Fatal(err)
	}

	bindEverywhere(ctx, b, s, n)
	time.Sleep(5 * time.Second)
	afterBindings, err := s.RSSKiB()
	if err != nil {
		b.Fatal(err)
	}
	createWidgets(ctx, b, s, n)
	time.Sleep(5 * time.Second)
	after, err := s.RSSKiB()
	if err != nil {
		b.Fatal(err)
	}

	// The provider: controller-runtime through the sdk, 16 workers, against the virtual workspace.
	cfg, err := s.RESTConfig("root")
	if err != nil {
		b.Fatal(err)
	}
	client, err := sdk.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	vw := client.APIExport("root:provider", "widgets")
	wildcard := vw.Config(sdk.Wildcard)
	var done atomic.Int64
	allDone := make(chan struct{})
	reconciler := widgetProvisioner(vw, n, &done, allDone)

	b.ResetTimer()
	start := time.Now()
	mgr, err := manager.New(wildcard, manager.Options{Metrics: server.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	if err != nil {
		b.Fatal(err)
	}
	informer := sdk.NewDynamicWildcardInformer(dynamic.NewForConfigOrDie(wildcard), widgets)
	if err := builder.TypedControllerManagedBy[controllerruntime.Request](mgr).Named("widgets").
		WithOptions(controller.TypedOptions[controllerruntime.Request]{MaxConcurrentReconciles: 16}).
		WatchesRawSource(controllerruntime.Source(informer)).Complete(reconciler); err != nil {
		b.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = mgr.Start(runCtx) }()
	select {
	case <-allDone:
	case <-time.After(10 * time.Minute):
		b.Fatalf("only %d of %d widgets reconciled after 10 minutes", done.Load(), n)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "objects/s")
	b.ReportMetric(float64(afterBindings-before)/float64(n), "KiB-RSS/binding")
	b.ReportMetric(float64(after-afterBindings)/float64(n), "KiB-RSS/bound-object")
	b.ReportMetric(float64(after)/1024, "MiB-RSS-total")
	b.ReportMetric(0, "ns/op")
}

// bindEverywhere creates an APIBinding of root:provider's export "widgets" in each of the n workspaces
// root:ws-<i> and waits (at most 5 minutes) until every one is Bound.
func bindEverywhere(ctx context.Context, b *testing.B, s *harness.Server, n int) {
	binding := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte("apiVersion: apis.gantry.dev/v1alpha1\nkind: APIBinding\nmetadata: {name: widgets}\nspec:\n  reference:\n    export: {path: 'root:provider', name: widgets}\n"), &binding.Object); err != nil {
		b.Fatal(err)
	}
	each(n, func(i int) {
		_, d := s.Clients(b, fmt.Sprintf("root:ws-%d", i))
		if _, err := d.Resource(bindings).Create(ctx, binding.DeepCopy(), metav1.CreateOptions{}); err != nil {
			b.Error(err)
		}
	})
	_, all := s.Clients(b, "*")
	for deadline := time.Now().Add(5 * time.Minute); ; {
		list, err := all.Resource(bindings).List(ctx, metav1.ListOptions{})
		bound := 0
		if err == nil {
			for _, item := range list.Items {
				if phase, _, _ := unstructured.NestedString(item.Object, "status", "phase"); phase == "Bound" {
					bound++
				}
			}
		}
		if bound == n {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d bindings Bound after 5 minutes", bound, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// createWidgets creates one widget, default/w, in each of the n workspaces root:ws-<i>.
func createWidgets(ctx context.Context, b *testing.B, s *harness.Server, n int) {
	each(n, func(i int) {
		_, d := s.Clients(b, fmt.Sprintf("root:ws-%d", i))
		w := &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": "example.com/v1", "kind": "Widget",
			"metadata": map[string]interface{}{"name": "w", "namespace": "default"}, "spec": map[string]interface{}{"size": int64(i % 100)}}} // the schema allows sizes up to 100
		if _, err := d.Resource(widgets).Namespace("default").Create(ctx, w, metav1.CreateOptions{}); err != nil {
			b.Error(err)
		}
	})
}

// widgetProvisioner is the provider's reconciler: it sets status.phase Provisioned on each widget through the
// export's virtual workspace vw, counts the widgets it provisioned in done, and closes allDone at n.
func widgetProvisioner(vw *sdk.Client, n int, done *atomic.Int64, allDone chan struct{}) reconcile.TypedReconciler[controllerruntime.Request] {
	clusterClients := sync.Map{}
	return reconcile.TypedFunc[controllerruntime.Request](func(ctx context.Context, req controllerruntime.Request) (reconcile.Result, error) {
		d, ok := clusterClients.Load(req.Cluster)
		if !ok {
			d = dynamic.NewForConfigOrDie(vw.Config(req.Cluster))
			clusterClients.Store(req.Cluster, d)
		}
		r := d.(dynamic.Interface).Resource(widgets).Namespace(req.Namespace)
		w, err := r.Get(ctx, req.Name, metav1.GetOptions{})
		if err != nil {
			return reconcile.Result{}, err
		}
		if phase, _, _ := unstructured.NestedString(w.Object, "status", "phase"); phase == "Provisioned" {
			return reconcile.Result{}, nil
		}
		_ = unstructured.SetNestedField(w.Object, "Provisioned", "status", "phase")
		if _, err := r.UpdateStatus(ctx, w, metav1.UpdateOptions{}); err != nil {
			return reconcile.Result{}, err
		}
		if done.Add(1) == int64(n) {
			close(allDone)
		}
		return reconcile.Result{}, nil
	})
}
