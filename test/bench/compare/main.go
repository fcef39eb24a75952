package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/test/kubecluster"
)

// options are the command's flags.
type options struct {
	gantryBin, kubeBin, workDir  string
	rounds, others, runs         int
	scale                        float64
	throughputFor                time.Duration
	keep                         bool
	profileDir, profileLoad      string
	profileFor                   time.Duration
	mode                         string
	fanoutWatchers, fanoutRounds int
}

func main() {
	var o options
	flag.StringVar(&o.gantryBin, "gantry-bin", envOr("GANTRY_BIN", "bin/gantry"), "the gantry binary ($GANTRY_BIN)")
	flag.StringVar(&o.kubeBin, "kube-bin", "", "directory of etcd and kube-apiserver (default: the cache `make kube-binaries` fills)")
	flag.StringVar(&o.workDir, "work-dir", "", "directory for data and logs (default: a new temporary one)")
	flag.IntVar(&o.rounds, "rounds", 10, "measured rounds per phase; in each, every operation runs on both servers, in alternating order")
	flag.IntVar(&o.runs, "runs", 1, "whole runs, each on fresh servers; with more than one, a last table gives each ratio per run and the median")
	flag.IntVar(&o.others, "others", 1000, "empty workspaces the tested one is measured among in the second phase")
	flag.Float64Var(&o.scale, "scale", 1, "multiplies the number of requests of each operation per round")
	flag.DurationVar(&o.throughputFor, "throughput-for", 2*time.Second, "how long the concurrent clients run per round")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (data and logs) afterwards")
	flag.StringVar(&o.profileDir, "cpu-profiles", "", "after the table, write a CPU profile of each server under -profile-load at 16 clients to gantry-<load>.pprof and vanilla-<load>.pprof in this directory")
	flag.StringVar(&o.profileLoad, "profile-load", "get", "the request of the profiles: get (one configmap) or list1000 (a consistent LIST of 1,000 configmaps)")
	flag.DurationVar(&o.profileFor, "profile-for", 30*time.Second, "how long each CPU profile lasts")
	flag.StringVar(&o.mode, "mode", "compare", "compare (the side-by-side table) or watch-fanout (one watcher in each of -fanout-watchers workspaces or namespaces plus one wildcard: delivery latency, memory and goroutines per watcher)")
	flag.IntVar(&o.fanoutWatchers, "fanout-watchers", 1000, "watch-fanout: workspaces (Gantry) and namespaces (vanilla) watched, one watcher each")
	flag.IntVar(&o.fanoutRounds, "fanout-rounds", 3, "watch-fanout: measured rounds; each writes one event per workspace, with 1 and then 16 writers, on both servers")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-compare:", err)
		os.Exit(1)
	}
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func run(ctx context.Context, o options) error {
	begin := time.Now()
	if _, ok := ProfiledRequests[o.profileLoad]; !ok {
		return fmt.Errorf("-profile-load %q: want get or list1000", o.profileLoad)
	}
	if o.runs < 1 {
		return fmt.Errorf("-runs must be at least 1")
	}
	// The commit of the checkout as the run starts: the one measured, even if the tree moves on meanwhile.
	measured := commit()
	if o.kubeBin == "" {
		dir, err := kubecluster.CachedBinDir()
		if err != nil {
			return err
		}
		o.kubeBin = dir
	}
	var err error
	if o.gantryBin, err = filepath.Abs(o.gantryBin); err != nil {
		return err
	}
	base := o.workDir
	if base == "" {
		if base, err = os.MkdirTemp("", "bench-compare-"); err != nil {
			return err
		}
	}
	if !o.keep {
		defer os.RemoveAll(base)
	}
	if o.mode == "watch-fanout" {
		return runWatchFanout(ctx, o, filepath.Join(base, "watch-fanout"))
	}
	if o.mode != "compare" {
		return fmt.Errorf("-mode %q: want compare or watch-fanout", o.mode)
	}
	var all []*Results
	for i := 1; i <= o.runs; i++ {
		dir := filepath.Join(base, fmt.Sprintf("run-%d", i))
		results, err := measureOnce(ctx, o, dir, i, i == o.runs)
		if err != nil {
			return fmt.Errorf("run %d: %w", i, err)
		}
		all = append(all, results)
	}
	if o.runs > 1 {
		fmt.Printf("\nGantry vs kube-apiserver, ratios of %d runs and their medians: commit %s.\n\n", o.runs, measured)
		PrintMedians(os.Stdout, all)
	}
	fmt.Printf("\nCommit %s; total time %s.\n", measured, since(begin))
	return nil
}

// measureOnce starts fresh servers in dir, measures both phases, prints the run's table and, after the last run,
// takes the CPU profiles that were asked for.
func measureOnce(ctx context.Context, o options, dir string, number int, last bool) (*Results, error) {
	begin := time.Now()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	logf("run %d: data and logs in %s", number, dir)
	startCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	env, err := StartEnvironment(startCtx, dir, o.kubeBin, o.gantryBin)
	defer env.Stop()
	if err != nil {
		return nil, err
	}
	logf("etcd, kube-apiserver and gantry ready after %s", since(begin))
	if err := CreateTestedWorkspace(startCtx, env.Gantry, env.GantryRoot); err != nil {
		return nil, err
	}
	targets := []*Target{env.Vanilla, env.Gantry}
	loads := map[string]*Load{}
	for _, t := range targets {
		if err := Prepare(startCtx, t); err != nil {
			return nil, err
		}
		if loads[t.Name], err = NewLoad(startCtx, t); err != nil {
			return nil, err
		}
	}
	logf("fixtures ready after %s", since(begin))

	results := NewResults(Operations())
	m := &measurement{o: o, results: results, targets: targets, loads: loads}
	if err := m.phase(ctx, 1, "1 workspace"); err != nil {
		return nil, err
	}
	created := time.Now()
	if err := CreateWorkspaces(ctx, env.GantryRoot, OtherWorkspaceNames(o.others)); err != nil {
		return nil, err
	}
	logf("%d other workspaces Ready in %s", o.others, since(created))
	if err := m.phase(ctx, 2, fmt.Sprintf("1 + %d others", o.others)); err != nil {
		return nil, err
	}

	printHeader(o, begin, number)
	results.Print(os.Stdout)
	fmt.Printf("\nRSS at the end: vanilla kube-apiserver %.0f MiB, gantry %.0f MiB (gantry holds %d more workspaces).\n",
		env.Vanilla.proc.rssMiB(), env.Gantry.proc.rssMiB(), o.others+1)
	fmt.Printf("Figures missing their goal: %d. Run time %s.\n", results.Misses(), since(begin))
	if last && o.profileDir != "" {
		if err := profileBoth(ctx, o, env, loads); err != nil {
			return nil, err
		}
	}
	return results, nil
}

// profileBoth takes a CPU profile of each server under -profile-load and prints what the load did meanwhile.
func profileBoth(ctx context.Context, o options, env *Environment, loads map[string]*Load) error {
	request := ProfiledRequests[o.profileLoad]
	if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
		return err
	}
	// Gantry serves /debug/pprof per workspace path; the root's is the process's.
	admins := map[string]*rest.Config{"gantry": env.GantryRoot, "vanilla": env.Vanilla.Admin}
	for _, name := range []string{"gantry", "vanilla"} {
		path := filepath.Join(o.profileDir, name+"-"+o.profileLoad+".pprof")
		stats, err := Profile(ctx, admins[name], loads[name], request, o.profileFor, path)
		if err != nil {
			return fmt.Errorf("CPU profile of %s: %w", name, err)
		}
		fmt.Printf("Profiled %s under %s at %d clients: %.0f req/s, %s of its CPU per request; profile in %s\n",
			name, o.profileLoad, concurrentClients, stats.RequestsPerSecond, stats.CPUPerRequest.Round(time.Microsecond), path)
	}
	return nil
}

// measurement runs the rounds of each phase and records them.
type measurement struct {
	o       options
	results *Results
	targets []*Target
	loads   map[string]*Load
}

// phase runs one unrecorded warm-up round at a tenth of the scale, then the measured rounds. In each round every
// operation runs on both servers before the next operation starts, the first server alternating round by round.
func (m *measurement) phase(ctx context.Context, number int, label string) error {
	for round := 0; round <= m.o.rounds; round++ {
		begin := time.Now()
		batch := Batch{ID: fmt.Sprintf("p%d-r%d", number, round), Scale: m.o.scale, ThroughputFor: m.o.throughputFor}
		if round == 0 {
			batch.Scale, batch.ThroughputFor = m.o.scale/10, m.o.throughputFor/4
		}
		order := m.targets
		if round%2 == 1 {
			order = []*Target{m.targets[1], m.targets[0]}
		}
		for _, op := range m.results.ops {
			for _, t := range order {
				s, err := op.Run(m.loads[t.Name], ctx, batch.count(op.Count), batch)
				if err != nil {
					return fmt.Errorf("%s, %s, round %d: %w", t.Name, op.Name, round, err)
				}
				if round > 0 {
					m.results.Add(label, op, t.Name, s)
				}
			}
		}
		what := "warm-up"
		if round > 0 {
			what = fmt.Sprintf("round %d/%d", round, m.o.rounds)
		}
		logf("gantry among %s: %s done in %s", label, what, since(begin))
	}
	return nil
}

// printHeader says what run number measured, when and how, for docs/performance.md.
func printHeader(o options, begin time.Time, number int) {
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\nGantry vs kube-apiserver, run %d of %d: %s, %d CPUs, load average at the end %s",
		number, o.runs, begin.UTC().Format("2006-01-02 15:04 MST"), runtime.NumCPU(), strings.Join(strings.Fields(string(load))[:3], " "))
	fmt.Printf("; %d rounds per phase, scale %.2g, throughput %s per round.\n\n", o.rounds, o.scale, o.throughputFor)
}

// commit is the checkout's short commit, marked when the tree has changes.
func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += "-dirty"
	}
	return c
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }
