package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The watch fan-out (issue 12, item 6; -mode watch-fanout, `make bench-watch`): in Gantry, n workspaces each with
// one watcher on its configmaps (the whole workspace) plus one wildcard watcher on /clusters/*; in the vanilla
// kube-apiserver, n namespaces each with one watcher on its configmaps plus one all-namespaces watcher. Each
// watcher has its own connection, as n separate controllers would. Every watcher is system:masters on both servers,
// since only system:masters may watch Gantry's wildcard.

const (
	// fanoutConfigMap is the configmap updated in each workspace (Gantry, namespace default) or namespace (vanilla).
	fanoutConfigMap = "fanout"
	// fanoutWriters is the number of concurrent writers of the loaded rows.
	fanoutWriters = 16
	// fanoutSettle is how long the servers rest before their memory and goroutines are read.
	fanoutSettle = 10 * time.Second
)

// fanoutName names the i-th workspace (Gantry) or namespace (vanilla) of the fan-out.
func fanoutName(i int) string { return fmt.Sprintf("fan-%04d", i) }

// fanoutRows are the latency rows: for each writer count, delivery to the event's own workspace's (namespace's)
// watcher and to the wildcard (all-namespaces) watcher.
func fanoutRows() (own1, wild1, ownN, wildN Operation) {
	return Operation{Name: "event to its workspace's watcher, 1 writer"},
		Operation{Name: "event to the wildcard watcher, 1 writer"},
		Operation{Name: fmt.Sprintf("event to its workspace's watcher, %d writers", fanoutWriters)},
		Operation{Name: fmt.Sprintf("event to the wildcard watcher, %d writers", fanoutWriters)}
}

// fanoutTarget is one server of the fan-out: how to reach the i-th watched scope and the wildcard.
type fanoutTarget struct {
	name string
	proc *process
	// base is an admin config of the server itself (Gantry: no /clusters/ path), for /metrics.
	base *rest.Config
	// debug is an admin config under which the server serves /debug/pprof (Gantry: the root workspace's path).
	debug *rest.Config
	// scoped returns an admin clientset and namespace for the i-th watcher; "" namespace is the whole workspace.
	scoped func(i int) (*rest.Config, string)
	// wildcard is the admin config and namespace ("") of the watcher of every scope.
	wildcard *rest.Config
	watchers []watch.Interface
	writers  []kubernetes.Interface // the writer of scope i
	seq      []int                  // last seq written per scope
	delivery fanoutDelivery
}

// usage is what a server holds, read from its process and its /metrics.
type usage struct {
	rssMiB, heapInuseMiB, goroutines float64
}

// fanoutDelivery matches a server's events to the writes that caused them.
type fanoutDelivery struct {
	mu      sync.Mutex
	pending map[[2]int]*pendingEvent // (scope, seq) → the write
}

type pendingEvent struct {
	sent          time.Time
	own, wildcard time.Duration
	left          int
	done          chan struct{}
}

// runWatchFanout starts fresh servers in dir, opens the watchers, measures delivery in rounds and prints the
// tables.
func runWatchFanout(ctx context.Context, o options, dir string) error {
	begin := time.Now()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	logf("watch fan-out: data and logs in %s", dir)
	startCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	env, err := StartEnvironment(startCtx, dir, o.kubeBin, o.gantryBin)
	defer env.Stop()
	if err != nil {
		return err
	}
	n := o.fanoutWatchers
	targets := []*fanoutTarget{vanillaFanout(env), gantryFanout(env)}
	if err := prepareFanout(startCtx, env, targets, n); err != nil {
		return err
	}
	logf("%d workspaces and namespaces, each with configmap %s, after %s", n, fanoutConfigMap, since(begin))

	time.Sleep(fanoutSettle)
	before, err := fanoutUsages(ctx, targets)
	if err != nil {
		return err
	}
	watchCtx, stopWatches := context.WithCancel(ctx)
	defer stopWatches()
	if err := openFanoutWatchers(ctx, watchCtx, targets, n); err != nil {
		return err
	}
	time.Sleep(fanoutSettle)
	after, err := fanoutUsages(ctx, targets)
	if err != nil {
		return err
	}
	results, err := measureFanout(ctx, targets, n, o.fanoutRounds)
	if err != nil {
		return err
	}

	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\nWatch fan-out: %d watched workspaces (Gantry) / namespaces (vanilla), one watcher each plus one wildcard; %s; "+
		"%d rounds of %d events per writer count; load average at the end %s; commit %s.\n\n",
		n, begin.UTC().Format("2006-01-02 15:04 MST"), o.fanoutRounds, n, strings.Join(strings.Fields(string(load))[:3], " "), commit())
	results.Print(os.Stdout)
	fmt.Println()
	printFanoutUsage(os.Stdout, n+1, before, after)
	fmt.Printf("\nRun time %s.\n", since(begin))
	return nil
}

// prepareFanout creates the n watched workspaces in Gantry and namespaces in the vanilla server, and fills each
// target's scopes with the configmap the events are about.
func prepareFanout(ctx context.Context, env *Environment, targets []*fanoutTarget, n int) error {
	names := make([]string, n)
	for i := range names {
		names[i] = fanoutName(i)
	}
	if err := CreateWorkspaces(ctx, env.GantryRoot, names); err != nil {
		return err
	}
	vcs, err := kubernetes.NewForConfig(env.Vanilla.Admin)
	if err != nil {
		return err
	}
	if err := parallel(n, 16, func(i int) error {
		_, err := vcs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: names[i]}}, metav1.CreateOptions{})
		return err
	}); err != nil {
		return fmt.Errorf("vanilla namespaces: %w", err)
	}
	for _, t := range targets {
		if err := t.fill(ctx, n); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	return nil
}

// fanoutUsages reads each target's memory and goroutines, by target name.
func fanoutUsages(ctx context.Context, targets []*fanoutTarget) (map[string]usage, error) {
	out := map[string]usage{}
	for _, t := range targets {
		u, err := t.usage(ctx)
		if err != nil {
			return nil, err
		}
		out[t.name] = u
	}
	return out, nil
}

// openFanoutWatchers opens each target's watchers under watchCtx, and waits until every one delivers an event.
func openFanoutWatchers(ctx, watchCtx context.Context, targets []*fanoutTarget, n int) error {
	for _, t := range targets {
		opened := time.Now()
		if err := t.open(watchCtx, n); err != nil {
			return fmt.Errorf("%s: opening watchers: %w", t.name, err)
		}
		// One event per scope, not measured, proves every watcher open before memory is read.
		if _, err := t.deliver(ctx, n, fanoutWriters); err != nil {
			return fmt.Errorf("%s: first events: %w", t.name, err)
		}
		logf("%s: %d + 1 watchers open and delivering after %s", t.name, n, since(opened))
	}
	return nil
}

// measureFanout times event delivery in rounds, with one writer and with fanoutWriters, the targets taking turns
// (alternating who goes first), and returns the latencies of the own and the wildcard watchers.
func measureFanout(ctx context.Context, targets []*fanoutTarget, n, rounds int) (*Results, error) {
	own1, wild1, ownN, wildN := fanoutRows()
	results := NewResults([]Operation{own1, wild1, ownN, wildN})
	phase := fmt.Sprintf("%d + 1 wildcard", n)
	for round := 1; round <= rounds; round++ {
		roundBegin := time.Now()
		order := targets
		if round%2 == 0 {
			order = []*fanoutTarget{targets[1], targets[0]}
		}
		for _, writers := range []int{1, fanoutWriters} {
			own, wild := own1, wild1
			if writers > 1 {
				own, wild = ownN, wildN
			}
			for _, t := range order {
				events, err := t.deliver(ctx, n, writers)
				if err != nil {
					return nil, fmt.Errorf("%s, round %d, %d writers: %w", t.name, round, writers, err)
				}
				var s, w Sample
				for _, e := range events {
					s.Latencies = append(s.Latencies, e.own)
					w.Latencies = append(w.Latencies, e.wildcard)
				}
				results.Add(phase, own, t.name, s)
				results.Add(phase, wild, t.name, w)
			}
		}
		logf("round %d/%d done in %s", round, rounds, since(roundBegin))
	}
	return results, nil
}

// gantryFanout watches workspace root:fan-<i> as a whole, and /clusters/* as the wildcard.
func gantryFanout(env *Environment) *fanoutTarget {
	admin := watchConfig(env.GantryRoot)
	base := rest.CopyConfig(admin)
	base.Host, _, _ = strings.Cut(base.Host, "/clusters/")
	return &fanoutTarget{name: "gantry", proc: env.Gantry.proc, base: base, debug: admin,
		scoped:   func(i int) (*rest.Config, string) { return inWorkspace(admin, "root:"+fanoutName(i)), "" },
		wildcard: inWorkspace(admin, "*"),
	}
}

// vanillaFanout watches namespace fan-<i>, and all namespaces as the wildcard.
func vanillaFanout(env *Environment) *fanoutTarget {
	admin := watchConfig(env.Vanilla.Admin)
	return &fanoutTarget{name: "vanilla", proc: env.Vanilla.proc, base: admin, debug: admin,
		scoped:   func(i int) (*rest.Config, string) { return admin, fanoutName(i) },
		wildcard: admin,
	}
}

// watchConfig is cfg without the request timeout, which would end a watch.
func watchConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Timeout = 0
	return c
}

// namespaceOf is where scope i's configmap lives: Gantry's workspaces use their default namespace.
func (t *fanoutTarget) namespaceOf(i int) string {
	if _, ns := t.scoped(i); ns != "" {
		return ns
	}
	return "default"
}

// fill makes the writers' clients (one per scope; client-go shares their connections) and creates the configmap
// of every scope.
func (t *fanoutTarget) fill(ctx context.Context, n int) error {
	t.seq = make([]int, n)
	clients := make([]kubernetes.Interface, n)
	for i := range n {
		cfg, _ := t.scoped(i)
		cfg = rest.CopyConfig(cfg)
		cfg.Timeout = time.Minute
		c, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			return err
		}
		clients[i] = c
	}
	t.writers = clients
	return parallel(n, 16, func(i int) error {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fanoutConfigMap},
			Data: map[string]string{"scope": strconv.Itoa(i), "seq": "0"}}
		return retry(ctx, func() error {
			_, err := t.writers[i].CoreV1().ConfigMaps(t.namespaceOf(i)).Create(ctx, cm, metav1.CreateOptions{})
			return err
		})
	})
}

// open starts the n scoped watchers and the wildcard one, each on its own connection, from the current resource
// version, so that they see only what is written afterwards.
func (t *fanoutTarget) open(ctx context.Context, n int) error {
	t.delivery.pending = map[[2]int]*pendingEvent{}
	wild, err := kubernetes.NewForConfig(ownConnection(t.wildcard))
	if err != nil {
		return err
	}
	list, err := wild.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{Limit: 1})
	if err != nil {
		return err
	}
	from := list.ResourceVersion
	timeout := int64(time.Hour / time.Second)
	t.watchers = make([]watch.Interface, n+1)
	err = parallel(n+1, 16, func(i int) error {
		cfg, ns, isWildcard := t.wildcard, "", i == n
		if !isWildcard {
			cfg, ns = t.scoped(i)
		}
		c, err := kubernetes.NewForConfig(ownConnection(cfg))
		if err != nil {
			return err
		}
		w, err := c.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: from, TimeoutSeconds: &timeout})
		if err != nil {
			return err
		}
		t.watchers[i] = w
		go t.delivery.receive(w, isWildcard)
		return nil
	})
	return err
}

// receive records, for each event of w that a write is waiting for, the time it arrived.
func (d *fanoutDelivery) receive(w watch.Interface, wildcard bool) {
	for ev := range w.ResultChan() {
		cm, ok := ev.Object.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		at := time.Now()
		scope, err1 := strconv.Atoi(cm.Data["scope"])
		seq, err2 := strconv.Atoi(cm.Data["seq"])
		if err1 != nil || err2 != nil {
			continue
		}
		d.mu.Lock()
		if p := d.pending[[2]int{scope, seq}]; p != nil {
			if wildcard && p.wildcard == 0 {
				p.wildcard = at.Sub(p.sent)
				p.left--
			} else if !wildcard && p.own == 0 {
				p.own = at.Sub(p.sent)
				p.left--
			}
			if p.left == 0 {
				close(p.done)
				delete(d.pending, [2]int{scope, seq})
			}
		}
		d.mu.Unlock()
	}
}

// deliver writes one event into each of the n scopes, from the given number of concurrent writers, each waiting
// until both its watchers have the event before the next write, and returns every event's delivery times.
func (t *fanoutTarget) deliver(ctx context.Context, n, writers int) ([]*pendingEvent, error) {
	events := make([]*pendingEvent, n)
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n && failed.Load() == nil; i = int(next.Add(1) - 1) {
				if err := t.deliverOne(ctx, i, events); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		return nil, *err
	}
	return events, nil
}

// deliverOne updates scope i's configmap and waits for its two watchers to receive the event.
func (t *fanoutTarget) deliverOne(ctx context.Context, i int, events []*pendingEvent) error {
	d := &t.delivery
	t.seq[i]++
	seq := t.seq[i]
	p := &pendingEvent{left: 2, done: make(chan struct{})}
	d.mu.Lock()
	d.pending[[2]int{i, seq}] = p
	p.sent = time.Now()
	d.mu.Unlock()
	patch := fmt.Sprintf(`{"data":{"seq":"%d"}}`, seq)
	if _, err := t.writers[i].CoreV1().ConfigMaps(t.namespaceOf(i)).Patch(ctx, fanoutConfigMap, types.MergePatchType,
		[]byte(patch), metav1.PatchOptions{}); err != nil {
		return fmt.Errorf("scope %d: %w", i, err)
	}
	select {
	case <-p.done:
	case <-time.After(time.Minute):
		return fmt.Errorf("scope %d, event %d: not delivered to both watchers within a minute", i, seq)
	}
	events[i] = p
	return nil
}

// usage reads the server's RSS, and its Go heap in use and goroutines from its /metrics, right after a garbage
// collection (which a heap profile with gc=1 runs), so that garbage not yet collected does not count.
func (t *fanoutTarget) usage(ctx context.Context) (usage, error) {
	var u usage
	debug, err := kubernetes.NewForConfig(t.debug)
	if err != nil {
		return u, err
	}
	if _, err := debug.Discovery().RESTClient().Get().AbsPath("/debug/pprof/heap").Param("gc", "1").DoRaw(ctx); err != nil {
		return u, fmt.Errorf("%s: heap profile: %w", t.name, err)
	}
	u.rssMiB = t.proc.rssMiB()
	cs, err := kubernetes.NewForConfig(t.base)
	if err != nil {
		return u, err
	}
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return u, fmt.Errorf("%s /metrics: %w", t.name, err)
	}
	values, err := gauges(bytes.NewReader(raw), "go_goroutines", "go_memstats_heap_inuse_bytes")
	if err != nil {
		return u, fmt.Errorf("%s /metrics: %w", t.name, err)
	}
	u.goroutines, u.heapInuseMiB = values[0], values[1]/(1<<20)
	return u, nil
}

// gauges reads the unlabelled samples of the named metrics from a Prometheus text exposition.
func gauges(r io.Reader, names ...string) ([]float64, error) {
	found := make([]bool, len(names))
	values := make([]float64, len(names))
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		for i, want := range names {
			if name == want {
				v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", name, err)
				}
				values[i], found[i] = v, true
			}
		}
	}
	for i, ok := range found {
		if !ok {
			return nil, fmt.Errorf("no sample of %s", names[i])
		}
	}
	return values, sc.Err()
}

// printFanoutUsage writes, in Markdown, what the watchers added to each server, in total and per watcher.
func printFanoutUsage(w io.Writer, watchers int, before, after map[string]usage) {
	fmt.Fprintf(w, "| added by %d watchers | vanilla | Gantry | ratio Gantry/vanilla |\n", watchers)
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	row := func(what, unit string, scale float64, f func(usage) float64) {
		v := (f(after["vanilla"]) - f(before["vanilla"])) * scale / float64(watchers)
		g := (f(after["gantry"]) - f(before["gantry"])) * scale / float64(watchers)
		fmt.Fprintf(w, "| %s per watcher | %.1f %s | %.1f %s | %.2f |\n", what, v, unit, g, unit, g/v)
	}
	row("RSS", "KiB", 1024, func(u usage) float64 { return u.rssMiB })
	row("Go heap in use", "KiB", 1024, func(u usage) float64 { return u.heapInuseMiB })
	row("goroutines", "", 1, func(u usage) float64 { return u.goroutines })
	for _, name := range []string{"vanilla", "gantry"} {
		b, a := before[name], after[name]
		fmt.Fprintf(w, "\n%s: RSS %.0f → %.0f MiB, Go heap in use %.0f → %.0f MiB, goroutines %.0f → %.0f.",
			name, b.rssMiB, a.rssMiB, b.heapInuseMiB, a.heapInuseMiB, b.goroutines, a.goroutines)
	}
	fmt.Fprintln(w)
}
