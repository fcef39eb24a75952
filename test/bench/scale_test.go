package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apiserver/pkg/storage/etcd3/testserver"
	"k8s.io/client-go/dynamic"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/test/harness"
)

// scaleBaseline is the number of workspaces GET and LIST inside one workspace are first measured among.
const scaleBaseline = 1000

// BenchmarkScale is issue 12's "scale in one process" (`make bench-scale`): one gantry on an external etcd started
// in this process, GANTRY_BENCH_SCALE_WORKSPACES (default 10,000) empty workspaces created in root by
// GANTRY_BENCH_SCALE_CLIENTS (default 16) clients without client-side rate limit, in chunks of 10,000 after the
// first 1,000. It reports:
//   - the creation rate (first create to last Ready, summed over the chunks), next to etcd's own put rate at the
//     same work (as many puts per workspace as Gantry made, of the average size of an empty workspace's keys, from
//     as many clients, straight to the same etcd) and etcd's puts and keys per workspace;
//   - the RSS added per workspace, at every chunk (logged) and at the end, once every namespace has its default
//     ServiceAccount and kube-root-ca.crt (s-defaults-after-Ready: how long after the last Ready that was);
//   - GET and LIST p99 inside a workspace holding 10 configmaps, GANTRY_BENCH_SCALE_PROBES (default 2000) sequential
//     requests each, in this server and, turn by turn, in a second gantry (its own etcd) holding 1,000 workspaces,
//     and their ratio: the machine's drift hits both alike;
//   - the restart time to /readyz (and root's default namespace) once every workspace holds
//     GANTRY_BENCH_SCALE_OBJECTS (default 3) configmaps besides what a new workspace gets, waiting for it up to
//     GANTRY_BENCH_SCALE_RESTART_WAIT_SECONDS (default 600).
//
// The creation stops early, and says so, once gantry's RSS passes GANTRY_BENCH_SCALE_MAX_RSS_MIB (default 8192):
// the machine is shared. GANTRY_BENCH_SCALE_WORKERS, when set, is passed as --workspace-workers;
// GANTRY_BENCH_SCALE_PROFILE names a file for a CPU profile of gantry taken from the start of the second chunk
// for GANTRY_BENCH_SCALE_PROFILE_SECONDS (default 30); GANTRY_BENCH_SCALE_RESTART_PROFILE one of the restart,
// from the moment the restarted server answers, for GANTRY_BENCH_SCALE_RESTART_PROFILE_SECONDS (default 20);
// GANTRY_BENCH_SCALE_RESTART_LOG a file gantry's whole log is copied to after the restart. During the restart
// /readyz?verbose is polled, and the time each readiness check first passes is logged: the last one is what a
// restart waits for.
// gantry-cpu-s is gantry's CPU time (user and system) over the timed creation, gantry-cpu-ms/workspace the same
// per workspace created.
func BenchmarkScale(b *testing.B) {
	n := envInt("GANTRY_BENCH_SCALE_WORKSPACES", 10000)
	clients := envInt("GANTRY_BENCH_SCALE_CLIENTS", 16)
	objects := envInt("GANTRY_BENCH_SCALE_OBJECTS", 3)
	probes := envInt("GANTRY_BENCH_SCALE_PROBES", 2000)
	maxRSSKiB := int64(envInt("GANTRY_BENCH_SCALE_MAX_RSS_MIB", 8192)) * 1024
	if n < scaleBaseline {
		b.Fatalf("GANTRY_BENCH_SCALE_WORKSPACES must be at least %d", scaleBaseline)
	}
	ctx := context.Background()
	etcd := testserver.RunEtcd(b, nil)
	args := []string{"--etcd-servers", strings.Join(etcd.Endpoints(), ",")}
	if workers := envInt("GANTRY_BENCH_SCALE_WORKERS", 0); workers > 0 {
		args = append(args, fmt.Sprintf("--workspace-workers=%d", workers))
	}
	s := harness.Start(b, args...)
	cfg, root := unthrottledRoot(b, s)
	createReady(b, root, "warmup", 10, 4)
	rss0 := settledRSS(b, s)
	putsBefore := etcdCounter(b, "etcd_mvcc_put_total")

	// gantry's CPU time over the timed creation only, chunk by chunk.
	var cpu time.Duration
	cpuOf := func(create func() time.Duration) time.Duration {
		before, err := s.CPUTime()
		if err != nil {
			b.Fatal(err)
		}
		took := create()
		after, err := s.CPUTime()
		if err != nil {
			b.Fatal(err)
		}
		cpu += after - before
		return took
	}
	b.ResetTimer()
	created, elapsed := scaleBaseline, cpuOf(func() time.Duration { return createReady(b, root, "ws", scaleBaseline, clients) })
	b.StopTimer()
	b.Logf("%d workspaces Ready in %s (%.0f/s); RSS %d MiB", created, elapsed.Round(time.Millisecond),
		float64(created)/elapsed.Seconds(), settledRSS(b, s)/1024)

	rss := settledRSS(b, s)
	for created < n {
		if rss > maxRSSKiB {
			b.Logf("stopping at %d workspaces: gantry's RSS %d MiB is over GANTRY_BENCH_SCALE_MAX_RSS_MIB", created, rss/1024)
			break
		}
		chunk, from := min(10000, n-created), created
		profile := func() {}
		if from == scaleBaseline {
			profile = startProfile(b, cfg, os.Getenv("GANTRY_BENCH_SCALE_PROFILE"), envInt("GANTRY_BENCH_SCALE_PROFILE_SECONDS", 30))
		}
		b.StartTimer()
		took := cpuOf(func() time.Duration {
			return createReadyNamed(b, root, func(i int) string { return fmt.Sprintf("ws-%d", from+i) }, chunk, clients)
		})
		b.StopTimer()
		profile()
		created += chunk
		elapsed += took
		rss = settledRSS(b, s)
		b.Logf("%d workspaces: chunk of %d Ready in %s (%.0f/s); RSS %d MiB, %.1f KiB per workspace", created, chunk,
			took.Round(time.Millisecond), float64(chunk)/took.Seconds(), rss/1024, float64(rss-rss0)/float64(created))
	}
	// Every namespace gets its defaults after its workspace is Ready; until they are written the server is busy,
	// so that the figures below would measure that work.
	settled := waitNamespaceDefaults(b, s, created+10+1) // the new, the warm-up and root's default namespaces
	rss = settledRSS(b, s)
	b.Logf("every namespace's defaults written %s after the last Ready; RSS %d MiB, %.1f KiB per workspace",
		settled.Round(time.Millisecond), rss/1024, float64(rss-rss0)/float64(created))
	puts := etcdCounter(b, "etcd_mvcc_put_total") - putsBefore

	// GET and LIST among all the workspaces, turn by turn with a second server among 1,000, on an etcd like the first.
	small := harness.Start(b, "--etcd-servers", strings.Join(testserver.RunEtcd(b, nil).Endpoints(), ","))
	smallCfg, smallRoot := unthrottledRoot(b, small)
	createReady(b, smallRoot, "ws", scaleBaseline, clients)
	waitNamespaceDefaults(b, small, scaleBaseline+1)
	atScale, atBaseline := interleavedProbes(b, newScaleProbe(b, cfg, "root:ws-0"), newScaleProbe(b, smallCfg, "root:ws-0"), probes)
	small.Stop(syscall.SIGTERM)

	keys, valueBytes := keysAndSizeOf(ctx, b, etcd.Client, clusterOf(ctx, b, root, "ws-1"))
	putsPerWorkspace := puts / float64(created)
	rawPutsPerSecond := rawEtcdPuts(ctx, b, etcd.Client, min(50000, int(putsPerWorkspace*float64(created))), valueBytes/keys, clients)

	fillStart := time.Now()
	fillConfigMaps(ctx, b, cfg, created, objects, clients)
	b.Logf("%d configmaps in each of %d workspaces in %s", objects, created, time.Since(fillStart).Round(time.Second))
	// Everything but the restart, logged now: a restart that misses the wait below fails the benchmark.
	b.Logf("%d workspaces at %.1f/s; etcd alone %.0f puts/s = %.0f workspaces/s at %.2f puts and %d keys per workspace; "+
		"RSS %.1f KiB per workspace (%d MiB); GET p99 %s vs %s at %d, LIST p99 %s vs %s; load average %s",
		created, float64(created)/elapsed.Seconds(), rawPutsPerSecond, rawPutsPerSecond/putsPerWorkspace, putsPerWorkspace, keys,
		float64(rss-rss0)/float64(created), rss/1024, atScale.getP99, atBaseline.getP99, scaleBaseline, atScale.listP99,
		atBaseline.listP99, loadAverage())
	s.Stop(syscall.SIGTERM)
	restartStart := time.Now()
	restartProfile := profileOnceServing(b, cfg, os.Getenv("GANTRY_BENCH_SCALE_RESTART_PROFILE"),
		envInt("GANTRY_BENCH_SCALE_RESTART_PROFILE_SECONDS", 20))
	stopChecks := logReadinessChecks(b, cfg, s.Port, restartStart)
	s.RestartWithin(time.Duration(envInt("GANTRY_BENCH_SCALE_RESTART_WAIT_SECONDS", 600)) * time.Second)
	restart := time.Since(restartStart)
	stopChecks()
	restartProfile()
	if path := os.Getenv("GANTRY_BENCH_SCALE_RESTART_LOG"); path != "" {
		// The data directory, and gantry's log in it, go with the benchmark's temporary directory.
		if err := os.WriteFile(path, []byte(s.Logs()), 0o644); err != nil {
			b.Logf("restart log: %v", err)
		}
	}
	rssAfterRestart := settledRSS(b, s)
	b.Logf("restart to /readyz in %s; load average at the end %s", restart.Round(time.Millisecond), loadAverage())
	b.ReportMetric(float64(created), "workspaces")
	b.ReportMetric(settled.Seconds(), "s-defaults-after-Ready")
	b.ReportMetric(float64(created)/elapsed.Seconds(), "workspaces/s")
	b.ReportMetric(cpu.Seconds(), "gantry-cpu-s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(created), "gantry-cpu-ms/workspace")
	b.ReportMetric(rawPutsPerSecond, "etcd-raw-puts/s")
	b.ReportMetric(rawPutsPerSecond/putsPerWorkspace, "etcd-raw-workspaces/s")
	b.ReportMetric(putsPerWorkspace, "etcd-puts/workspace")
	b.ReportMetric(float64(keys), "etcd-keys/workspace")
	b.ReportMetric(float64(rss-rss0)/float64(created), "KiB-RSS/workspace")
	b.ReportMetric(float64(rss)/1024, "MiB-RSS-total")
	b.ReportMetric(ms(atBaseline.getP99), "ms-GET-p99@1000")
	b.ReportMetric(ms(atScale.getP99), "ms-GET-p99@N")
	b.ReportMetric(ratioOf(atScale.getP99, atBaseline.getP99), "GET-p99-ratio")
	b.ReportMetric(ratioOf(atScale.getP50, atBaseline.getP50), "GET-p50-ratio")
	b.ReportMetric(ms(atBaseline.listP99), "ms-LIST-p99@1000")
	b.ReportMetric(ms(atScale.listP99), "ms-LIST-p99@N")
	b.ReportMetric(ratioOf(atScale.listP99, atBaseline.listP99), "LIST-p99-ratio")
	b.ReportMetric(ratioOf(atScale.listP50, atBaseline.listP50), "LIST-p50-ratio")
	b.ReportMetric(restart.Seconds(), "s-restart-to-readyz")
	b.ReportMetric(float64(rssAfterRestart)/1024, "MiB-RSS-after-restart")
	b.ReportMetric(0, "ns/op")
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes.
func loadAverage() string {
	load, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(load))[:3], " ")
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

func ratioOf(a, b time.Duration) float64 { return a.Seconds() / b.Seconds() }

// unthrottledRoot is an admin config of s's root workspace without client-side rate limit, and its dynamic client.
func unthrottledRoot(b *testing.B, s *harness.Server) (*rest.Config, dynamic.Interface) {
	b.Helper()
	cfg, err := s.RESTConfig("root")
	if err != nil {
		b.Fatal(err)
	}
	cfg.QPS = -1 // the server's rate is what is timed
	return cfg, dynamic.NewForConfigOrDie(cfg)
}

// interleavedProbes measures two probes in 10 rounds of n/10 GETs and LISTs each, the first probe first in odd
// rounds, and returns each one's percentiles.
func interleavedProbes(b *testing.B, first, second *scaleProbe, n int) (scaleLatencies, scaleLatencies) {
	b.Helper()
	first.measure(b, 50) // warm-up, not recorded
	second.measure(b, 50)
	first.reset()
	second.reset()
	for round := 0; round < 10; round++ {
		order := []*scaleProbe{first, second}
		if round%2 == 1 {
			order = []*scaleProbe{second, first}
		}
		for _, p := range order {
			p.measure(b, max(1, n/10))
		}
	}
	return first.latencies(), second.latencies()
}

// settledRSS waits 5 s for the Go runtime to settle, then reads gantry's RSS in KiB.
func settledRSS(b *testing.B, s *harness.Server) int64 {
	b.Helper()
	time.Sleep(5 * time.Second)
	rss, err := s.RSSKiB()
	if err != nil {
		b.Fatal(err)
	}
	return rss
}

// scaleProbe reads inside one workspace holding 10 configmaps, and keeps every latency.
type scaleProbe struct {
	cms         corev1client.ConfigMapInterface
	gets, lists []time.Duration
}

// scaleLatencies are a probe's percentiles.
type scaleLatencies struct {
	getP50, getP99, listP50, listP99 time.Duration
}

// newScaleProbe creates 10 configmaps in workspace path's default namespace.
func newScaleProbe(b *testing.B, root *rest.Config, path string) *scaleProbe {
	b.Helper()
	cfg := rest.CopyConfig(root)
	cfg.Host = strings.Replace(cfg.Host, "/clusters/root", "/clusters/"+path, 1)
	p := &scaleProbe{cms: corev1client.NewForConfigOrDie(cfg).ConfigMaps("default")}
	for j := 0; j < 10; j++ {
		if _, err := p.cms.Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("probe-%d", j)},
			Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// measure sends n GETs and n consistent LISTs one after the other, GET and LIST alternating, and keeps their
// latencies.
func (p *scaleProbe) measure(b *testing.B, n int) {
	b.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		start := time.Now()
		if _, err := p.cms.Get(ctx, "probe-5", metav1.GetOptions{}); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		l, err := p.cms.List(ctx, metav1.ListOptions{})
		if err != nil {
			b.Fatalf("list: %v", err)
		}
		if probes := countPrefixed(l.Items, "probe-"); probes != 10 {
			b.Fatalf("list: %d probe configmaps, not 10", probes)
		}
		p.gets, p.lists = append(p.gets, mid.Sub(start)), append(p.lists, time.Since(mid))
	}
}

// countPrefixed counts the configmaps among items whose name starts with prefix: the benchmarks' own, for a
// namespace also holds kube-root-ca.crt once the namespace defaults controller has written it.
func countPrefixed(items []corev1.ConfigMap, prefix string) int {
	n := 0
	for _, cm := range items {
		if strings.HasPrefix(cm.Name, prefix) {
			n++
		}
	}
	return n
}

func (p *scaleProbe) reset() { p.gets, p.lists = nil, nil }

func (p *scaleProbe) latencies() scaleLatencies {
	return scaleLatencies{getP50: percentile(p.gets, 50), getP99: percentile(p.gets, 99),
		listP50: percentile(p.lists, 50), listP99: percentile(p.lists, 99)}
}

// clusterOf returns the logical cluster of workspace name in root.
func clusterOf(ctx context.Context, b *testing.B, root dynamic.Interface, name string) string {
	b.Helper()
	ws, err := root.Resource(harness.WorkspacesGVR).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	cluster, _, _ := unstructured.NestedString(ws.Object, "spec", "cluster")
	if cluster == "" {
		b.Fatalf("workspace %s has no logical cluster", name)
	}
	return cluster
}

// keysAndSizeOf counts the etcd keys of a logical cluster, its Workspace object in its parent included, and the
// bytes of their values.
func keysAndSizeOf(ctx context.Context, b *testing.B, etcd *clientv3.Client, cluster string) (keys, bytes int) {
	b.Helper()
	for from := "/registry/"; ; {
		resp, err := etcd.Get(ctx, from, clientv3.WithRange(clientv3.GetPrefixRangeEnd("/registry/")), clientv3.WithLimit(5000))
		if err != nil {
			b.Fatal(err)
		}
		for _, kv := range resp.Kvs {
			if strings.Contains(string(kv.Key), "/"+cluster+"/") || strings.Contains(string(kv.Value), `"cluster":"`+cluster+`"`) {
				keys++
				bytes += len(kv.Value)
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	if keys == 0 {
		b.Fatalf("no etcd key of cluster %s", cluster)
	}
	return keys, bytes
}

// rawEtcdPuts is etcd's own put rate: n puts of distinct keys with values of size bytes, from the given number of
// clients, straight to etcd.
func rawEtcdPuts(ctx context.Context, b *testing.B, etcd *clientv3.Client, n, size, clients int) float64 {
	b.Helper()
	value := strings.Repeat("x", size)
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				next.Lock()
				k := i
				i++
				next.Unlock()
				if k >= n {
					return
				}
				if _, err := etcd.Put(ctx, fmt.Sprintf("/raw-puts/%08d", k), value); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	rate := float64(n) / time.Since(start).Seconds()
	if _, err := etcd.Delete(ctx, "/raw-puts/", clientv3.WithPrefix()); err != nil {
		b.Fatal(err)
	}
	return rate
}

// fillConfigMaps creates objects configmaps in the default namespace of each workspace root:ws-<i>, from the given
// number of clients sharing one connection.
func fillConfigMaps(ctx context.Context, b *testing.B, root *rest.Config, n, objects, clients int) {
	b.Helper()
	httpClient, err := rest.HTTPClientFor(root)
	if err != nil {
		b.Fatal(err)
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				cfg := rest.CopyConfig(root)
				cfg.Host = strings.Replace(cfg.Host, "/clusters/root", fmt.Sprintf("/clusters/root:ws-%d", i), 1)
				core, err := corev1client.NewForConfigAndClient(cfg, httpClient)
				if err != nil {
					b.Error(err)
					continue
				}
				for j := 0; j < objects; j++ {
					if _, err := core.ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("obj-%d", j)},
						Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
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
	if b.Failed() {
		b.FailNow()
	}
}

// profileOnceServing is startProfile for a server that is starting: it waits (up to two minutes) until the server
// answers, then profiles it. The returned function waits until the profile is written.
func profileOnceServing(b *testing.B, cfg *rest.Config, path string, seconds int) func() {
	if path == "" {
		return func() {}
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		b.Fatal(err)
	}
	ping := strings.TrimSuffix(cfg.Host, "/") + "/livez/ping"
	done := make(chan struct{})
	go func() {
		defer close(done)
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if resp, err := client.Get(ping); err == nil {
				resp.Body.Close()
				startProfile(b, cfg, path, seconds)()
				return
			}
		}
		b.Logf("restart profile: the server did not answer within two minutes")
	}()
	return func() { <-done }
}

// logReadinessChecks polls /readyz?verbose on port every 200 ms from now on and logs, for each readiness check, how
// long after start it first passed. The returned function stops the polling, polls once more and logs the checks
// that never passed.
func logReadinessChecks(b *testing.B, cfg *rest.Config, port int, start time.Time) func() {
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		b.Fatal(err)
	}
	url := fmt.Sprintf("https://127.0.0.1:%d/readyz?verbose", port)
	passed := map[string]time.Duration{}
	failing := map[string]bool{}
	poll := func() {
		resp, err := client.Get(url)
		if err != nil {
			return // not serving yet
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return
		}
		for _, line := range strings.Split(string(body), "\n") {
			// Each check is one line: "[+]name ok" or "[-]name failed: reason withheld".
			if len(line) < 4 || line[0] != '[' || line[2] != ']' {
				continue
			}
			name, _, _ := strings.Cut(line[3:], " ")
			if line[1] == '+' {
				if _, seen := passed[name]; !seen {
					passed[name] = time.Since(start)
					delete(failing, name)
				}
			} else if _, seen := passed[name]; !seen {
				failing[name] = true
			}
		}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
				poll()
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		poll()
		names := make([]string, 0, len(passed))
		for name := range passed {
			names = append(names, name)
		}
		sort.Slice(names, func(i, j int) bool { return passed[names[i]] < passed[names[j]] })
		var line strings.Builder
		for _, name := range names {
			fmt.Fprintf(&line, " %s=%s", name, passed[name].Round(100*time.Millisecond))
		}
		b.Logf("restart: readiness checks first passed at:%s", line.String())
		for name := range failing {
			b.Logf("restart: readiness check %s never passed", name)
		}
	}
}
