package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/storage/etcd3/testserver"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/test/harness"
)

// BenchmarkWorkspaceDeletion deletes GANTRY_BENCH_DELETE_WORKSPACES (default 10000) workspaces, each holding 10
// objects of its own (an APIBinding, two bound custom resources, four configmaps and three secrets) besides what
// a new workspace gets, with GANTRY_BENCH_DELETE_CLIENTS (default 16) parallel clients. It reports workspaces/s
// from the first DELETE to the last workspace gone from root's list (seen through one watch), checks that no etcd
// key of any deleted workspace remains, and reports etcd's own rate at the same work: the same number of delete
// operations per workspace, removing the same number of keys, issued straight to the same etcd by as many
// clients. GANTRY_BENCH_DELETE_PROFILE names a file to write a CPU profile of gantry to, taken from the first DELETE
// for GANTRY_BENCH_DELETE_PROFILE_SECONDS (default 20). gantry-cpu-s is the CPU time (user and system) the gantry
// process used from the first DELETE to the last workspace gone. GANTRY_BENCH_DELETE_WORKERS, when set, is passed as
// --workspace-workers (the server's default is 16).
//
// Gantry runs on an external etcd started in this process, so that its keys can be counted and etcd's own
// counters (etcd_mvcc_delete_total, etcd_mvcc_put_total) read without going through the server.
func BenchmarkWorkspaceDeletion(b *testing.B) {
	n := envInt("GANTRY_BENCH_DELETE_WORKSPACES", 10000)
	clients := envInt("GANTRY_BENCH_DELETE_CLIENTS", 16)
	ctx := context.Background()
	etcd := testserver.RunEtcd(b, nil)
	args := []string{"--etcd-servers", strings.Join(etcd.Endpoints(), ",")}
	if workers := envInt("GANTRY_BENCH_DELETE_WORKERS", 0); workers > 0 {
		args = append(args, fmt.Sprintf("--workspace-workers=%d", workers))
	}
	s := harness.Start(b, args...)

	setupStart := time.Now()
	s.CreateWorkspace(b, "root", "provider")
	s.Kubectl("root:provider").WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport).
		MustRun(b, "create", "-f", "-")
	s.Kubectl("root:provider").MustRun(b, "wait", "--for=condition=IdentityValid", "apiexport/widgets", "--timeout=60s")
	_, root := s.Clients(b, "root")
	createReady(b, root, "ws", n, 16)
	bindEverywhere(ctx, b, s, n)
	fillWorkspaces(ctx, b, s, n)
	b.Logf("setup of %d workspaces × 10 objects took %s", n, time.Since(setupStart).Round(time.Second))

	clusters := clustersOf(ctx, b, root, n)
	keysBefore := keysOfClusters(ctx, b, etcd.Client, clusters)
	if keysBefore < 10*n {
		b.Fatalf("only %d etcd keys in the %d workspaces before deletion; expected at least %d", keysBefore, n, 10*n)
	}
	deletesBefore, putsBefore := etcdCounter(b, "etcd_mvcc_delete_total"), etcdCounter(b, "etcd_mvcc_put_total")

	cfg, err := s.RESTConfig("root")
	if err != nil {
		b.Fatal(err)
	}
	cfg.QPS = -1 // no client-side rate limit: the server's rate is what is timed
	profile := startProfile(b, cfg, os.Getenv("GANTRY_BENCH_DELETE_PROFILE"), envInt("GANTRY_BENCH_DELETE_PROFILE_SECONDS", 20))

	cpuBefore, err := s.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	elapsed := deleteAll(ctx, b, dynamic.NewForConfigOrDie(cfg), n, clients)
	b.StopTimer()
	cpuAfter, err := s.CPUTime()
	if err != nil {
		b.Fatal(err)
	}
	profile()

	keysAfter := keysOfClusters(ctx, b, etcd.Client, clusters)
	if keysAfter != 0 {
		b.Errorf("%d etcd keys of deleted workspaces remain", keysAfter)
	}
	workspaceKeys, err := etcd.Client.Get(ctx, "/registry/tenancy.gantry.dev/workspaces/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		b.Fatal(err)
	}
	if workspaceKeys.Count != 1 { // root:provider is left
		b.Errorf("%d Workspace objects remain in etcd; expected only root:provider", workspaceKeys.Count)
	}
	deletes := etcdCounter(b, "etcd_mvcc_delete_total") - deletesBefore
	puts := etcdCounter(b, "etcd_mvcc_put_total") - putsBefore

	keysPerWorkspace := keysBefore / n
	deletesPerWorkspace := int(deletes+float64(n)-1) / n
	rawElapsed := rawEtcdDeletion(ctx, b, etcd.Client, n, deletesPerWorkspace, keysPerWorkspace, clients)

	b.ReportMetric(float64(n)/elapsed.Seconds(), "workspaces/s")
	b.ReportMetric(elapsed.Seconds(), "s-total")
	b.ReportMetric(float64(keysBefore)/elapsed.Seconds(), "keys/s")
	b.ReportMetric(float64(keysBefore)/float64(n), "etcd-keys/workspace")
	b.ReportMetric(deletes/float64(n), "etcd-deletes/workspace")
	b.ReportMetric(puts/float64(n), "etcd-puts/workspace")
	b.ReportMetric(float64(n)/rawElapsed.Seconds(), "etcd-raw-workspaces/s")
	b.ReportMetric(float64(n*keysPerWorkspace)/rawElapsed.Seconds(), "etcd-raw-keys/s")
	b.ReportMetric((cpuAfter - cpuBefore).Seconds(), "gantry-cpu-s")
	b.ReportMetric(float64((cpuAfter-cpuBefore).Microseconds())/1000/float64(n), "gantry-cpu-ms/workspace")
	b.ReportMetric(float64(keysAfter), "keys-left")
	b.ReportMetric(0, "ns/op")
}

// fillWorkspaces creates, in each of the n workspaces root:ws-<i> (already bound to widgets), two widgets, four
// configmaps and three secrets in the default namespace.
func fillWorkspaces(ctx context.Context, b *testing.B, s *harness.Server, n int) {
	each(n, func(i int) {
		kube, d := s.Clients(b, fmt.Sprintf("root:ws-%d", i))
		for j := 0; j < 2; j++ {
			w := &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": "example.com/v1", "kind": "Widget",
				"metadata": map[string]interface{}{"name": fmt.Sprintf("w-%d", j), "namespace": "default"},
				"spec":     map[string]interface{}{"size": int64(j)}}}
			if _, err := d.Resource(widgets).Namespace("default").Create(ctx, w, metav1.CreateOptions{}); err != nil {
				b.Error(err)
			}
		}
		for j := 0; j < 4; j++ {
			if _, err := kube.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", j)}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
				b.Error(err)
			}
		}
		for j := 0; j < 3; j++ {
			if _, err := kube.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("s-%d", j)}, StringData: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
				b.Error(err)
			}
		}
	})
	if b.Failed() {
		b.FailNow()
	}
}

// clustersOf returns the logical cluster of each of the n workspaces root:ws-<i>.
func clustersOf(ctx context.Context, b *testing.B, root dynamic.Interface, n int) map[string]bool {
	list, err := root.Resource(harness.WorkspacesGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	clusters := map[string]bool{}
	for _, ws := range list.Items {
		if strings.HasPrefix(ws.GetName(), "ws-") {
			cluster, _, _ := unstructured.NestedString(ws.Object, "spec", "cluster")
			if cluster == "" {
				b.Fatalf("workspace %s has no logical cluster", ws.GetName())
			}
			clusters[cluster] = true
		}
	}
	if len(clusters) != n {
		b.Fatalf("found %d workspaces ws-*, expected %d", len(clusters), n)
	}
	return clusters
}

// keysOfClusters counts the etcd keys under /registry/ that belong to one of clusters: a key is
// /registry/<resource prefix>/<cluster>/..., and a resource prefix may have one segment or several.
func keysOfClusters(ctx context.Context, b *testing.B, etcd *clientv3.Client, clusters map[string]bool) int {
	count := 0
	for from := "/registry/"; ; {
		resp, err := etcd.Get(ctx, from, clientv3.WithRange(clientv3.GetPrefixRangeEnd("/registry/")), clientv3.WithKeysOnly(), clientv3.WithLimit(10000))
		if err != nil {
			b.Fatal(err)
		}
		for _, kv := range resp.Kvs {
			for _, segment := range strings.Split(string(kv.Key), "/") {
				if clusters[segment] {
					count++
					break
				}
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return count
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// etcdCounter reads a counter of the etcd running in this process.
func etcdCounter(b *testing.B, name string) float64 {
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetCounter().GetValue()
		}
	}
	b.Fatalf("etcd metric %s not found", name)
	return 0
}

// deleteAll deletes the n workspaces root:ws-<i> with the given number of parallel clients and returns the time
// from the first DELETE to the last workspace's removal, seen through one watch on root's workspaces (listed and
// watched again if the server ends it, as it does to a watcher that falls behind: then a workspace missing from
// the list is gone).
func deleteAll(ctx context.Context, b *testing.B, root dynamic.Interface, n, clients int) time.Duration {
	ws := root.Resource(harness.WorkspacesGVR)
	var mu sync.Mutex
	gone := map[string]bool{}
	allGone, stopWatching := workspaceWatch{
		event: func(ev watch.Event) bool {
			u, ok := ev.Object.(*unstructured.Unstructured)
			if ev.Type != watch.Deleted || !ok || !strings.HasPrefix(u.GetName(), "ws-") {
				return false
			}
			mu.Lock()
			defer mu.Unlock()
			gone[u.GetName()] = true
			return len(gone) == n
		},
		// A workspace missing from the list is gone.
		relisted: func(items []unstructured.Unstructured) bool {
			present := map[string]bool{}
			for _, item := range items {
				present[item.GetName()] = true
			}
			mu.Lock()
			defer mu.Unlock()
			for i := 0; i < n; i++ {
				if name := fmt.Sprintf("ws-%d", i); !present[name] {
					gone[name] = true
				}
			}
			return len(gone) == n
		},
	}.start(ctx, b, ws, "deletion")
	defer stopWatching()
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan int)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := ws.Delete(ctx, fmt.Sprintf("ws-%d", i), metav1.DeleteOptions{}); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	b.Logf("all %d DELETEs answered after %s", n, time.Since(start).Round(time.Millisecond))
	select {
	case <-allGone:
	case <-time.After(15 * time.Minute):
		mu.Lock()
		defer mu.Unlock()
		b.Fatalf("only %d of %d workspaces gone after 15 minutes", len(gone), n)
	}
	return time.Since(start)
}

// rawEtcdDeletion is etcd's own rate at the work Gantry did: it stores n groups of keysPerWorkspace keys (values
// of 400 bytes) spread over deletesPerWorkspace prefixes, then deletes each group with deletesPerWorkspace range
// deletes, one after the other, from the given number of parallel clients; it returns the time the deletes took.
func rawEtcdDeletion(ctx context.Context, b *testing.B, etcd *clientv3.Client, n, deletesPerWorkspace, keysPerWorkspace, clients int) time.Duration {
	if deletesPerWorkspace < 1 {
		deletesPerWorkspace = 1
	}
	value := strings.Repeat("x", 400)
	each(n, func(i int) {
		for k := 0; k < keysPerWorkspace; k++ {
			key := fmt.Sprintf("/raw/%d/%d/%d", i, k%deletesPerWorkspace, k)
			if _, err := etcd.Put(ctx, key, value); err != nil {
				b.Error(err)
			}
		}
	})
	work := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				for p := 0; p < deletesPerWorkspace; p++ {
					if _, err := etcd.Delete(ctx, fmt.Sprintf("/raw/%d/%d/", i, p), clientv3.WithPrefix()); err != nil {
						b.Error(err)
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	left, err := etcd.Get(ctx, "/raw/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || left.Count != 0 {
		b.Fatalf("raw etcd deletion left %v keys (%v)", left, err)
	}
	return elapsed
}

// startProfile starts a CPU profile of the server of the given length (a profile cannot be ended early over HTTP),
// to be written to path; the returned function waits until it is written. With an empty path it does nothing.
func startProfile(b *testing.B, cfg *rest.Config, path string, seconds int) func() {
	if path == "" {
		return func() {}
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		b.Fatal(err)
	}
	host := strings.TrimSuffix(cfg.Host, "/")
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := client.Get(fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", host, seconds))
		if err != nil {
			b.Logf("profile: %v", err)
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Logf("profile: %v (status %d)", err, resp.StatusCode)
			return
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Logf("profile: %v", err)
		}
	}()
	return func() { <-done }
}
