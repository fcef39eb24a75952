package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/pkg/syncer"
	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

// syncerSetup is the SyncTarget gpu, supporting the widgets export, and a ClusterRole and binding that let the
// ServiceAccount default:syncer sync it (and nothing else), as in test/e2e's TestSyncer.
const syncerSetup = `apiVersion: compute.gantry.dev/v1alpha1
kind: SyncTarget
metadata: {name: gpu}
spec:
  supportedAPIExports: [{path: "root:provider", export: widgets}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: syncer-gpu}
rules:
- {apiGroups: [compute.gantry.dev], resources: [synctargets], resourceNames: [gpu], verbs: [sync]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: syncer-gpu}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: syncer-gpu}
subjects:
- {kind: ServiceAccount, namespace: default, name: syncer}
`

// syncerBench is Gantry with the widgets export in root:provider, the SyncTarget gpu in root:compute with a token
// of the syncer's ServiceAccount, and a real downstream cluster. The syncer itself is started by startSyncer.
type syncerBench struct {
	s              *harness.Server
	down           dynamic.Interface
	downKubeconfig string
	downExt        apiextensionsclient.Interface
	fromKubeconfig string
	computePath    string
	label          string // gpu's state label
	metricsAddr    string // the syncer's /metrics
	downHost       string // host:port of the downstream API server
	downConfig     *rest.Config
}

// setupSyncerBench starts Gantry and the downstream cluster and prepares everything the syncer needs.
func setupSyncerBench(b *testing.B) *syncerBench {
	b.Helper()
	f := &syncerBench{s: harness.Start(b)}
	provider, _ := f.s.CreateWorkspace(b, "root", "provider")
	k := f.s.Kubectl(provider)
	k.WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).MustRun(b, "create", "-f", "-")
	k.MustRun(b, "wait", "--for=condition=IdentityValid", "apiexport/widgets", "--timeout=60s")
	computePath, computeCluster := f.s.CreateWorkspace(b, "root", "compute")
	f.computePath = computePath
	compute := f.s.Kubectl(computePath)
	compute.WithStdin(syncerSetup).MustRun(b, "create", "-f", "-")
	compute.MustRun(b, "create", "serviceaccount", "syncer")
	token := strings.TrimSpace(compute.MustRun(b, "create", "token", "syncer", "--duration=24h"))
	f.fromKubeconfig = f.s.KubeconfigAs(b, computePath, token)
	f.label = computev1alpha1.StateLabel(computeCluster, "gpu")
	f.metricsAddr = fmt.Sprintf("127.0.0.1:%d", harness.FreePort(b))

	kc := kubecluster.Start(b)
	f.down = dynamic.NewForConfigOrDie(kc.RESTConfig())
	f.downExt = apiextensionsclient.NewForConfigOrDie(kc.RESTConfig())
	f.downKubeconfig = kc.Kubeconfig()
	f.downHost = strings.TrimPrefix(kc.RESTConfig().Host, "https://")
	f.downConfig = kc.RESTConfig()
	return f
}

// startSyncer starts the gantry-syncer binary for gpu, with its default flags otherwise; it is stopped when the
// benchmark ends. With GANTRY_BENCH_SYNCER_V set, it runs at that log verbosity and its log's tail is printed at
// the end. GANTRY_BENCH_SYNCER_ARGS adds flags (space-separated, such as "--workers 64").
func (f *syncerBench) startSyncer(b *testing.B) *harness.Process {
	b.Helper()
	args := []string{"--from-kubeconfig", f.fromKubeconfig, "--to-kubeconfig", f.downKubeconfig,
		"--sync-target", f.computePath + "/gpu", "--metrics-bind-address", f.metricsAddr, "--health-probe-bind-address", "0"}
	v := os.Getenv("GANTRY_BENCH_SYNCER_V")
	if v != "" {
		args = append(args, "-v", v)
	}
	if os.Getenv("GANTRY_BENCH_SYNCER_PROFILE") != "" {
		args = append(args, "--profiling")
	}
	args = append(args, strings.Fields(os.Getenv("GANTRY_BENCH_SYNCER_ARGS"))...)
	p := harness.StartProcess(b, harness.SyncerBinary(b), args...)
	if v != "" {
		b.Cleanup(func() { b.Logf("gantry-syncer log:\n%s", p.Logs()) })
	}
	return p
}

// profileCPU, when GANTRY_BENCH_SYNCER_PROFILE names a folder, records GANTRY_BENCH_SYNCER_PROFILE_SECONDS
// (default 30) of CPU profile of the syncer (syncer.cpu.pb), Gantry (gantry.cpu.pb) and the downstream
// kube-apiserver (kube-apiserver.cpu.pb) there, from now on, in the background; the returned function waits until
// all are written.
func (f *syncerBench) profileCPU(b *testing.B) (wait func()) {
	b.Helper()
	dir := os.Getenv("GANTRY_BENCH_SYNCER_PROFILE")
	if dir == "" {
		return func() {}
	}
	seconds := envInt("GANTRY_BENCH_SYNCER_PROFILE_SECONDS", 30)
	cfg, err := f.s.RESTConfig("root")
	if err != nil {
		b.Fatal(err)
	}
	gantryHTTP, err := rest.HTTPClientFor(cfg)
	if err != nil {
		b.Fatal(err)
	}
	downHTTP, err := rest.HTTPClientFor(f.downConfig)
	if err != nil {
		b.Fatal(err)
	}
	return recordCPUProfiles(b, dir, seconds, []profileSource{
		{downHTTP, f.downConfig.Host + "/debug/pprof/profile", "kube-apiserver.cpu.pb"},
		{http.DefaultClient, "http://" + f.metricsAddr + "/debug/pprof/profile", "syncer.cpu.pb"},
		{gantryHTTP, f.s.URL("root") + "/debug/pprof/profile", "gantry.cpu.pb"},
	})
}

// profileSource is a process's CPU profile endpoint, the client that may read it, and the file to write it to.
type profileSource struct {
	client *http.Client
	url    string
	file   string
}

// recordCPUProfiles records seconds of CPU profile of every source into dir, from now on, in the background; the
// returned function waits until all are written.
func recordCPUProfiles(b *testing.B, dir string, seconds int, sources []profileSource) (wait func()) {
	b.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	fetch := func(client *http.Client, url, file string) {
		defer wg.Done()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			resp, err := client.Get(fmt.Sprintf("%s?seconds=%d", url, seconds))
			if err != nil {
				if time.Now().Before(deadline) {
					continue // the process is still starting to listen
				}
				b.Errorf("profile %s: %v", url, err)
				return
			}
			data, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: %s", resp.Status, data)
			}
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, file), data, 0o644)
			}
			if err != nil {
				b.Errorf("profile %s: %v", url, err)
			}
			return
		}
	}
	wg.Add(len(sources))
	for _, s := range sources {
		go fetch(s.client, s.url, s.file)
	}
	return wg.Wait
}

// waitSyncerIdle waits (at most timeout) until the syncer's work queue has been empty for a second, read from its
// metric workqueue_depth, so that a measurement does not queue behind the echoes of earlier writes.
func (f *syncerBench) waitSyncerIdle(b *testing.B, timeout time.Duration) {
	b.Helper()
	idleSince := time.Time{}
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		switch {
		case f.syncerMetric(b, "workqueue_depth", `name="gantry_syncer"`) != 0:
			idleSince = time.Time{}
		case idleSince.IsZero():
			idleSince = time.Now()
		case time.Since(idleSince) >= time.Second:
			return
		}
	}
	b.Fatalf("the syncer's work queue was not idle within %s", timeout)
}

// syncerMetric is the sum of the samples of the metric name on the syncer's /metrics whose labels contain each of
// labels.
func (f *syncerBench) syncerMetric(b *testing.B, name string, labels ...string) float64 {
	b.Helper()
	return scrapeMetric(b, f.metricsAddr, name, labels...)
}

// scrapeMetric is the sum of the samples of the metric name on http://addr/metrics whose labels contain each of
// labels.
func scrapeMetric(b *testing.B, addr, name string, labels ...string) float64 {
	b.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	sum := 0.0
lines:
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(line, l) {
				continue lines
			}
		}
		var v float64
		if _, err := fmt.Sscanf(line[strings.LastIndex(line, " ")+1:], "%g", &v); err == nil {
			sum += v
		}
	}
	return sum
}

// reportSyncerWork reports, per object, how many times the syncer queued work (workqueue_adds_total) and how many
// PATCH requests (server-side applies) it sent downstream since the counts before, once its queue is idle again.
func (f *syncerBench) reportSyncerWork(b *testing.B, adds, patches float64, n int, unit string) {
	b.Helper()
	f.waitSyncerIdle(b, 10*time.Minute)
	b.ReportMetric((f.syncerMetric(b, "workqueue_adds_total", `name="gantry_syncer"`)-adds)/float64(n), "queued/"+unit)
	b.ReportMetric((f.downPatches(b)-patches)/float64(n), "down-PATCH/"+unit)
}

// downPatches is how many PATCH requests the syncer has sent the downstream cluster.
func (f *syncerBench) downPatches(b *testing.B) float64 {
	return f.syncerMetric(b, "rest_client_requests_total", `host="`+f.downHost+`"`, `method="PATCH"`)
}

// team creates the workspace root:<name> binding the widgets export and returns its logical cluster and an admin
// client of it.
func (f *syncerBench) team(b *testing.B, name string) (string, dynamic.Interface) {
	b.Helper()
	path, cluster := f.s.CreateWorkspace(b, "root", name)
	k := f.s.Kubectl(path)
	k.WithStdin("apiVersion: apis.gantry.dev/v1alpha1\nkind: APIBinding\nmetadata: {name: widgets}\nspec:\n  reference:\n    export: {path: 'root:provider', name: widgets}\n").
		MustRun(b, "create", "-f", "-")
	k.MustRun(b, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=60s")
	_, dyn := f.s.Clients(b, path)
	return cluster, dyn
}

// waitDownstreamCRD waits (polling every 50 ms, at most timeout) until the syncer has installed the widgets CRD
// downstream and the downstream API server has established it.
func (f *syncerBench) waitDownstreamCRD(b *testing.B, timeout time.Duration) {
	b.Helper()
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		crd, err := f.downExt.ApiextensionsV1().CustomResourceDefinitions().Get(context.Background(), "widgets.example.com", metav1.GetOptions{})
		if err != nil {
			continue
		}
		for _, c := range crd.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				return
			}
		}
	}
	b.Fatalf("the widgets CRD was not established downstream within %s", timeout)
}

// placedWidget is the widget namespace/name with gpu's state label set to Sync, as the admin may write it.
func (f *syncerBench) placedWidget(namespace, name string, size int) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": "example.com/v1", "kind": "Widget",
		"metadata": map[string]interface{}{"name": name, "namespace": namespace,
			"labels": map[string]interface{}{f.label: computev1alpha1.ResourceStateSync}},
		"spec": map[string]interface{}{"size": int64(size % 100)}}}
}

// arrivals records when each object was first seen in a wanted state, by key, and lets callers wait for one.
type arrivals struct {
	mu      sync.Mutex
	at      map[string]time.Time
	waiters map[string]chan struct{}
}

// newArrivals returns an empty arrivals.
func newArrivals() *arrivals {
	return &arrivals{at: map[string]time.Time{}, waiters: map[string]chan struct{}{}}
}

// see records key's first arrival now.
func (a *arrivals) see(key string) {
	now := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.at[key]; ok {
		return
	}
	a.at[key] = now
	if ch, ok := a.waiters[key]; ok {
		close(ch)
		delete(a.waiters, key)
	}
}

// count is how many keys have arrived.
func (a *arrivals) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.at)
}

// wait returns when key arrived, waiting at most timeout.
func (a *arrivals) wait(key string, timeout time.Duration) (time.Time, bool) {
	a.mu.Lock()
	if t, ok := a.at[key]; ok {
		a.mu.Unlock()
		return t, true
	}
	ch, ok := a.waiters[key]
	if !ok {
		ch = make(chan struct{})
		a.waiters[key] = ch
	}
	a.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(timeout):
		return time.Time{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.at[key], true
}

// watchWidgets runs an informer on the widgets of namespace ("" for all) of c, matching labelSelector, and records
// in the returned arrivals the key(obj), when not empty, of every object for which it is; it stops with the
// benchmark.
func watchWidgets(b *testing.B, c dynamic.Interface, namespace, labelSelector string, key func(*unstructured.Unstructured) string) *arrivals {
	b.Helper()
	return watchResource(b, c, widgets, namespace, labelSelector, key)
}

// watchResource is watchWidgets for any resource.
func watchResource(b *testing.B, c dynamic.Interface, gvr schema.GroupVersionResource, namespace, labelSelector string,
	key func(*unstructured.Unstructured) string) *arrivals {
	b.Helper()
	a := newArrivals()
	watchResourceInto(b, a, c, gvr, namespace, labelSelector, key)
	return a
}

// watchResourceInto is watchResource recording into a, which several watches (of several workspaces) may share.
func watchResourceInto(b *testing.B, a *arrivals, c dynamic.Interface, gvr schema.GroupVersionResource, namespace, labelSelector string,
	key func(*unstructured.Unstructured) string) {
	b.Helper()
	watchResourceSinks(b, c, gvr, namespace, labelSelector, watchSink{a, key})
}

// watchSink is where one watch records what it sees: the key of each object that key maps to one goes into a.
type watchSink struct {
	a   *arrivals
	key func(*unstructured.Unstructured) string
}

// watchResourceSinks is one watch (an informer) of gvr recording into every sink, so that several measurements of
// the same objects cost the servers one watch; stop ends it (as does the benchmark's end).
func watchResourceSinks(b *testing.B, c dynamic.Interface, gvr schema.GroupVersionResource, namespace, labelSelector string,
	sinks ...watchSink) (stop func()) {
	b.Helper()
	factory := dynamicinformer.NewFilteredDynamicSharedInformerFactory(c, 0, namespace,
		func(o *metav1.ListOptions) { o.LabelSelector = labelSelector })
	informer := factory.ForResource(gvr).Informer()
	record := func(obj interface{}) {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			for _, s := range sinks {
				if k := s.key(u); k != "" {
					s.a.see(k)
				}
			}
		}
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: record,
		UpdateFunc: func(_, obj interface{}) { record(obj) }}); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), informer.HasSynced) {
		b.Fatalf("%s informer did not sync", gvr.Resource)
	}
	return func() {
		cancel()
		factory.Shutdown()
	}
}

// upstreamName maps a downstream copy to its upstream object's "<cluster>/<namespace>/<name>".
func upstreamName(u *unstructured.Unstructured) string {
	loc, err := syncer.ParseObjectLocator(u.GetAnnotations()[syncer.UpstreamAnnotation])
	if err != nil {
		return ""
	}
	return loc.Cluster + "/" + loc.Namespace + "/" + loc.Name
}

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of ds, which it sorts.
func percentile(ds []time.Duration, p float64) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	i := int(math.Ceil(p/100*float64(len(ds)))) - 1
	return ds[max(i, 0)]
}

// reportLatencies reports p50, p99 and the maximum of ds in milliseconds.
func reportLatencies(b *testing.B, ds []time.Duration) {
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(percentile(ds, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(ds, 99)), "p99-ms")
	b.ReportMetric(ms(ds[len(ds)-1]), "max-ms")
	b.ReportMetric(0, "ns/op")
}

// first is the earliest arrival.
func (a *arrivals) first() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	var first time.Time
	for _, t := range a.at {
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first
}

// last is the latest arrival.
func (a *arrivals) last() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	var last time.Time
	for _, t := range a.at {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// BenchmarkSyncerCreateToDownstream creates GANTRY_BENCH_SYNCER_OBJECTS (default 200) placed widgets one by one in
// one workspace's default namespace, each once the previous one's copy arrived, and reports the latency from the
// upstream create call's return to the copy seen by a downstream watch (p50, p99, max).
func BenchmarkSyncerCreateToDownstream(b *testing.B) {
	n := envInt("GANTRY_BENCH_SYNCER_OBJECTS", 200)
	f := setupSyncerBench(b)
	cluster, up := f.team(b, "team")
	f.startSyncer(b)
	f.waitDownstreamCRD(b, 2*time.Minute)
	down := watchWidgets(b, f.down, syncer.DownstreamNamespace(cluster, "default"), syncer.SyncTargetLabel, upstreamName)
	f.createOneByOne(b, up, cluster, "warmup", 3, down) // the downstream namespace, connections, caches
	f.waitSyncerIdle(b, 5*time.Minute)
	adds, patches := f.syncerMetric(b, "workqueue_adds_total", `name="gantry_syncer"`), f.downPatches(b)
	b.ResetTimer()
	latencies := f.createOneByOne(b, up, cluster, "w", n, down)
	b.StopTimer()
	reportLatencies(b, latencies)
	f.reportSyncerWork(b, adds, patches, n, "object")
}

// createOneByOne creates the placed widgets default/<prefix>-<i>, i < n, each once the previous one arrived in down,
// and returns the latencies from each create call's return to its arrival.
func (f *syncerBench) createOneByOne(b *testing.B, up dynamic.Interface, cluster, prefix string, n int, down *arrivals) []time.Duration {
	b.Helper()
	latencies := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s-%d", prefix, i)
		if _, err := up.Resource(widgets).Namespace("default").Create(context.Background(), f.placedWidget("default", name, i), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		created := time.Now()
		at, ok := down.wait(cluster+"/default/"+name, time.Minute)
		if !ok {
			b.Fatalf("%s not downstream a minute after its creation", name)
		}
		latencies = append(latencies, max(at.Sub(created), 0))
	}
	return latencies
}

// BenchmarkSyncerStatusToUpstream places GANTRY_BENCH_SYNCER_OBJECTS (default 200) widgets in one workspace, waits
// for their copies, then sets status.phase Running on the copies one by one (a merge patch of the downstream status
// subresource), each once the previous one's status was seen upstream, and reports the latency from the downstream
// patch call's return to the status seen by an upstream watch (p50, p99, max).
func BenchmarkSyncerStatusToUpstream(b *testing.B) {
	n := envInt("GANTRY_BENCH_SYNCER_OBJECTS", 200)
	ctx := context.Background()
	f := setupSyncerBench(b)
	cluster, up := f.team(b, "team")
	f.startSyncer(b)
	f.waitDownstreamCRD(b, 2*time.Minute)
	ns := syncer.DownstreamNamespace(cluster, "default")
	down := watchWidgets(b, f.down, ns, syncer.SyncTargetLabel, upstreamName)
	for i := 0; i < n; i++ {
		if _, err := up.Resource(widgets).Namespace("default").Create(ctx, f.placedWidget("default", fmt.Sprintf("w-%d", i), i), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		if _, ok := down.wait(fmt.Sprintf("%s/default/w-%d", cluster, i), 10*time.Minute); !ok {
			b.Fatalf("only %d of %d copies downstream after 10 minutes", down.count(), n)
		}
	}
	f.waitSyncerIdle(b, 10*time.Minute)
	running := watchWidgets(b, up, "default", "", func(u *unstructured.Unstructured) string {
		if phase, _, _ := unstructured.NestedString(u.Object, "status", "phase"); phase == "Running" {
			return u.GetName()
		}
		return ""
	})
	adds, patches := f.syncerMetric(b, "workqueue_adds_total", `name="gantry_syncer"`), f.downPatches(b)
	b.ResetTimer()
	latencies := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("w-%d", i)
		if _, err := f.down.Resource(widgets).Namespace(ns).Patch(ctx, name, types.MergePatchType,
			[]byte(`{"status":{"phase":"Running"}}`), metav1.PatchOptions{}, "status"); err != nil {
			b.Fatal(err)
		}
		patched := time.Now()
		at, ok := running.wait(name, time.Minute)
		if !ok {
			b.Fatalf("status of %s not upstream a minute after the downstream patch", name)
		}
		latencies = append(latencies, max(at.Sub(patched), 0))
	}
	b.StopTimer()
	reportLatencies(b, latencies)
	f.reportSyncerWork(b, adds, patches, n, "status-change")
}

// BenchmarkSyncerColdStart places GANTRY_BENCH_SYNCER_OBJECTS_PER_WORKSPACE (default 10) widgets in each of
// GANTRY_BENCH_SYNCER_WORKSPACES (default 1000) workspaces, then starts the syncer and reports the seconds from its
// start until a downstream watch has seen every copy, and the syncer's RSS at that point. With
// GANTRY_BENCH_SYNCER_PROFILE set, it also records CPU profiles of the syncer and Gantry from the syncer's start
// (see profileCPU).
func BenchmarkSyncerColdStart(b *testing.B) {
	workspaces := envInt("GANTRY_BENCH_SYNCER_WORKSPACES", 1000)
	perWorkspace := envInt("GANTRY_BENCH_SYNCER_OBJECTS_PER_WORKSPACE", 10)
	total := workspaces * perWorkspace
	ctx := context.Background()
	f := setupSyncerBench(b)
	_, root := f.s.Clients(b, "root")
	createReady(b, root, "ws", workspaces, 16)
	bindEverywhere(ctx, b, f.s, workspaces)
	each(workspaces, func(i int) {
		_, d := f.s.Clients(b, fmt.Sprintf("root:ws-%d", i))
		for j := 0; j < perWorkspace; j++ {
			if _, err := d.Resource(widgets).Namespace("default").Create(ctx, f.placedWidget("default", fmt.Sprintf("w-%d", j), j), metav1.CreateOptions{}); err != nil {
				b.Error(err)
			}
		}
	})
	if b.Failed() {
		b.FailNow()
	}

	b.ResetTimer()
	start := time.Now()
	p := f.startSyncer(b)
	profiled := f.profileCPU(b)
	f.waitDownstreamCRD(b, 5*time.Minute)
	crd := time.Since(start)
	copies := watchWidgets(b, f.down, "", syncer.SyncTargetLabel, upstreamName)
	for deadline := time.Now().Add(time.Hour); copies.count() < total; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d copies downstream an hour after the syncer started", copies.count(), total)
		}
	}
	elapsed := copies.last().Sub(start)
	b.StopTimer()
	rss, err := p.RSSKiB()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(elapsed.Seconds(), "s-to-all-copies")
	b.ReportMetric(float64(total)/elapsed.Seconds(), "copies/s")
	b.ReportMetric(crd.Seconds(), "s-to-crd")
	b.ReportMetric(float64(rss)/1024, "MiB-RSS-syncer")
	// The work done until then, per copy (more follows: the echoes of the syncer's own writes).
	b.ReportMetric(f.syncerMetric(b, "workqueue_adds_total", `name="gantry_syncer"`)/float64(total), "queued/copy")
	b.ReportMetric(f.downPatches(b)/float64(total), "down-PATCH/copy")
	b.ReportMetric(0, "ns/op")
	profiled()
}
