package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/syncer"
	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

var (
	deployments  = appsv1.SchemeGroupVersion.WithResource("deployments")
	configmaps   = corev1.SchemeGroupVersion.WithResource("configmaps")
	placements   = computev1alpha1.SchemeGroupVersion.WithResource("placements")
	syncTargets  = computev1alpha1.SchemeGroupVersion.WithResource("synctargets")
	failoverWait = 20 * time.Minute // how long any one stage of the benchmark may take before it fails
)

// failoverLease is the --synctarget-lease of the benchmark's Gantry: short, so that the benchmark does not wait
// the default 30 s, yet five of the syncers' heartbeats (failoverHeartbeat) long, so that a slow heartbeat under
// load does not turn a target not Ready before the kill.
const (
	failoverLease     = 10 * time.Second
	failoverHeartbeat = "2s"
)

// failoverBench is Gantry with the compute workspace root:compute importing Deployments, two real clusters
// registered as the SyncTargets a and b (evictAfter 0s: evicted as soon as not Ready), each with its gantry-syncer,
// and team workspaces binding the Deployments with a Placement of one cluster.
type failoverBench struct {
	s              *harness.Server
	computePath    string
	computeCluster string
	compute        *harness.Kubectl
	clusters       map[string]*kubecluster.Cluster
	downs          map[string]dynamic.Interface
	syncers        map[string]*harness.Process
	metricsAddrs   map[string]string // each syncer's /metrics (and /debug/pprof/ with GANTRY_BENCH_FAILOVER_PROFILE)
	teams          []failoverTeam
}

// failoverTeam is a team workspace: its logical cluster, admin client and namespaces.
type failoverTeam struct {
	path, cluster string
	up            dynamic.Interface
	namespaces    []string
}

// BenchmarkFailover places GANTRY_BENCH_FAILOVER_OBJECTS (default 1000) one-replica Deployments, in
// GANTRY_BENCH_FAILOVER_WORKSPACES (default 10) team workspaces of GANTRY_BENCH_FAILOVER_NAMESPACES (default 2)
// namespaces each, on the target a (each team's Placement of one cluster chose it), waits until every one is
// Available in a's cluster, then kills a's syncer with SIGKILL and times, from a's last heartbeat
// (status.lastHeartbeatTime as stored, whole seconds) to the last object of each stage:
//
//   - s-to-not-ready: a's Ready condition False (the lease ran out), seen by a watch;
//   - s-to-placed-b: every Placement selects b (a is evicted at once: evictAfter 0s);
//   - s-to-labeled-b: every Deployment carries b's state label Sync (the placement controller's relabel);
//   - s-to-copies-b: every copy exists in b's cluster (b's syncer);
//   - s-to-ready-b: every copy is Available in b's cluster (controller-manager, scheduler, kwok);
//   - s-to-ready-up: every Deployment upstream shows b's Available condition (b's syncer's status copy).
//
// The goal (issue 11) is s-to-ready-b within the lease plus 10 s; over-lease-s is s-to-ready-b minus the lease.
// With -v the first and last arrival of each stage are logged, and the CPU time each process used from the kill
// until the last stage (cpu-s is their sum). up-writes/object and down-writes/object are the writes (POST, PUT,
// PATCH) b's syncer sent Gantry and its cluster per object, counted once its queue is idle after the last stage;
// up-conflicts/object those of the writes to Gantry refused as conflicts, queued/object the keys its queue took in.
// With GANTRY_BENCH_FAILOVER_PROFILE naming a folder, CPU profiles of Gantry, b's kube-apiserver and b's syncer are
// recorded there from a's turning not Ready on, for GANTRY_BENCH_FAILOVER_PROFILE_SECONDS (default 30).
//
// With GANTRY_BENCH_FAILOVER_CONFIGMAPS set, the objects are ConfigMaps instead: nothing runs downstream, so a copy
// is Ready once it exists (s-to-ready-b is s-to-copies-b) and there is no status to report up; what is timed is
// Gantry's and the syncer's part alone.
func BenchmarkFailover(b *testing.B) {
	n := envInt("GANTRY_BENCH_FAILOVER_OBJECTS", 1000)
	workspaces := envInt("GANTRY_BENCH_FAILOVER_WORKSPACES", 10)
	namespaces := envInt("GANTRY_BENCH_FAILOVER_NAMESPACES", 2)
	ctx := context.Background()
	f := setupFailover(b, n, workspaces, namespaces)
	configMaps := os.Getenv("GANTRY_BENCH_FAILOVER_CONFIGMAPS") != ""
	resource, newObject, readyDown := deployments, failoverDeployment, available
	if configMaps {
		resource, newObject, readyDown = configmaps, failoverConfigMap, upstreamName
	}
	f.createObjects(b, n, resource, newObject)
	// The watches that only serve the set-up stop once it is done: what runs during the failover is Gantry, the
	// clusters and the syncers, and only the watches that time its stages.
	readyA := newArrivals()
	stopReadyA := watchResourceSinks(b, f.downs["a"], resource, "", syncer.SyncTargetLabel, watchSink{readyA, readyDown})
	f.waitAll(b, readyA, n, resource.Resource+" Ready in a's cluster")
	stopReadyA()
	kill := time.Now().Truncate(time.Second).Add(time.Second)
	if !configMaps {
		readyUpA := newArrivals()
		var stops []func()
		for _, t := range f.teams {
			cluster := t.cluster
			stop := watchResourceSinks(b, t.up, deployments, "", "", watchSink{readyUpA, func(u *unstructured.Unstructured) string {
				if conditionStatus(u, "Available") == "True" {
					return cluster + "/" + u.GetNamespace() + "/" + u.GetName()
				}
				return ""
			}})
			stops = append(stops, stop)
		}
		f.waitAll(b, readyUpA, n, "Deployments showing a's status upstream")
		for _, stop := range stops {
			stop()
		}
		// Conditions carry whole seconds: b's Available conditions upstream are told from a's by a transition in
		// the second after a's last or later, before which the kill must not come.
		kill = readyUpA.last().Truncate(time.Second).Add(time.Second)
	}
	b.Logf("failover: %d %s Ready in a's cluster, and so upstream", n, resource.Resource)

	bLabel := computev1alpha1.StateLabel(f.computeCluster, "b")
	notReady := watchResource(b, dynamicOf(b, f.s, f.computePath), syncTargets, "", "", func(u *unstructured.Unstructured) string {
		if u.GetName() == "a" && conditionStatus(u, "Ready") == "False" {
			return "a"
		}
		return ""
	})
	placed, labeled, readyUp := newArrivals(), newArrivals(), newArrivals()
	for _, t := range f.teams {
		cluster := t.cluster
		watchResourceInto(b, placed, t.up, placements, "", "", func(u *unstructured.Unstructured) string {
			targets, _, _ := unstructured.NestedSlice(u.Object, "status", "selectedTargets")
			if len(targets) == 1 {
				if m, ok := targets[0].(map[string]interface{}); ok && m["name"] == "b" {
					return cluster + "/" + u.GetName()
				}
			}
			return ""
		})
		// One watch of the objects for both of their stages upstream.
		sinks := []watchSink{{labeled, func(u *unstructured.Unstructured) string {
			if u.GetLabels()[bLabel] == computev1alpha1.ResourceStateSync {
				return cluster + "/" + u.GetNamespace() + "/" + u.GetName()
			}
			return ""
		}}}
		if !configMaps {
			sinks = append(sinks, watchSink{readyUp, func(u *unstructured.Unstructured) string {
				if availableSince(u, kill) {
					return cluster + "/" + u.GetNamespace() + "/" + u.GetName()
				}
				return ""
			}})
		}
		watchResourceSinks(b, t.up, resource, "", "", sinks...)
	}
	copiesB, readyB := newArrivals(), newArrivals()
	watchResourceSinks(b, f.downs["b"], resource, "", syncer.SyncTargetLabel, watchSink{copiesB, upstreamName}, watchSink{readyB, readyDown})
	if readyUp.count() != 0 || copiesB.count() != 0 {
		b.Fatalf("before the kill: %d Deployments already report b's status, %d copies already in b", readyUp.count(), copiesB.count())
	}

	time.Sleep(time.Until(kill))
	b.ResetTimer()
	cpuBefore, writesBefore := f.childCPU(), f.syncerWrites(b, "b")
	killed := time.Now()
	f.syncers["a"].Stop(syscall.SIGKILL)
	if _, ok := notReady.wait("a", failoverWait); !ok {
		b.Fatalf("a still Ready %s after its syncer was killed", failoverWait)
	}
	profiled := f.profileCPU(b)
	target, err := dynamicOf(b, f.s, f.computePath).Resource(syncTargets).Get(ctx, "a", metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	heartbeat, err := time.Parse(time.RFC3339, stringAt(target, "status", "lastHeartbeatTime"))
	if err != nil {
		b.Fatalf("a's last heartbeat: %v", err)
	}
	f.waitAll(b, placed, len(f.teams), "Placements selecting b")
	f.waitAll(b, labeled, n, "objects labeled for b")
	f.waitAll(b, copiesB, n, "copies in b's cluster")
	f.waitAll(b, readyB, n, "copies Ready in b's cluster")
	if !configMaps {
		f.waitAll(b, readyUp, n, "Deployments showing b's status upstream")
	}
	b.StopTimer()
	cpuAfter, wall := f.childCPU(), time.Since(killed)
	f.waitSyncerIdle(b, "b")
	writesAfter := f.syncerWrites(b, "b")
	profiled()

	since := func(t time.Time) float64 { return t.Sub(heartbeat).Seconds() }
	notReadyAt, _ := notReady.wait("a", 0)
	b.ReportMetric(failoverLease.Seconds(), "lease-s")
	b.ReportMetric(since(killed), "s-to-kill")
	b.ReportMetric(since(notReadyAt), "s-to-not-ready")
	b.ReportMetric(since(placed.last()), "s-to-placed-b")
	b.ReportMetric(since(labeled.last()), "s-to-labeled-b")
	b.ReportMetric(since(copiesB.last()), "s-to-copies-b")
	b.ReportMetric(since(readyB.last()), "s-to-ready-b")
	if !configMaps {
		b.ReportMetric(since(readyUp.last()), "s-to-ready-up")
	}
	b.ReportMetric(since(readyB.last())-failoverLease.Seconds(), "over-lease-s")
	b.ReportMetric(0, "ns/op")
	logCPU(b, cpuBefore, cpuAfter, wall)
	b.ReportMetric((writesAfter[0]-writesBefore[0])/float64(n), "up-writes/object")
	b.ReportMetric((writesAfter[1]-writesBefore[1])/float64(n), "down-writes/object")
	b.ReportMetric((writesAfter[2]-writesBefore[2])/float64(n), "up-conflicts/object")
	b.ReportMetric((writesAfter[3]-writesBefore[3])/float64(n), "queued/object")
	for _, stage := range []struct {
		name string
		a    *arrivals
	}{{"placed on b", placed}, {"labeled for b", labeled}, {"copy in b", copiesB}, {"Ready in b", readyB}, {"b's status upstream", readyUp}} {
		if stage.a.count() == 0 {
			continue
		}
		b.Logf("failover: %-20s first %6.2f s, last %6.2f s after a's last heartbeat", stage.name, since(stage.a.first()), since(stage.a.last()))
	}
}

// setupFailover starts Gantry with a lease of failoverLease, two real clusters with enough fake nodes for n pods,
// imports their Deployments into root:compute, registers them as the SyncTargets a and b with a syncer each, and
// creates the team workspaces, each with its namespaces and a Placement of one cluster that chose a (b is
// unschedulable until every Placement chose, then schedulable again: choices that work stay).
func setupFailover(b *testing.B, n, workspaces, namespaces int) *failoverBench {
	b.Helper()
	f := &failoverBench{s: harness.Start(b, "--synctarget-lease="+failoverLease.String()),
		clusters: map[string]*kubecluster.Cluster{}, downs: map[string]dynamic.Interface{}, syncers: map[string]*harness.Process{},
		metricsAddrs: map[string]string{}}
	for _, name := range []string{"a", "b"} {
		kc := kubecluster.Start(b)
		for i := 0; i <= n/100; i++ { // a fake node holds 110 pods
			kc.AddGPUNode(b, fmt.Sprintf("node-%d", i), "NVIDIA-H100-80GB-HBM3", 0)
		}
		f.clusters[name], f.downs[name] = kc, dynamic.NewForConfigOrDie(kc.RESTConfig())
	}
	f.computePath, f.computeCluster = f.s.CreateWorkspace(b, "root", "compute")
	f.compute = f.s.Kubectl(f.computePath)
	owner := f.s.UserShell(b, f.computePath, "")
	if _, progress, err := owner.Run("gantry", "import-apis", "--from-kubeconfig", f.clusters["a"].Kubeconfig(), "deployments.apps"); err != nil {
		b.Fatalf("import-apis: %v\n%s", err, progress)
	}
	for _, name := range []string{"a", "b"} {
		f.syncers[name] = f.registerTarget(b, owner, name)
	}
	f.compute.MustRun(b, "patch", "synctarget", "b", "--type=merge", "-p", `{"spec":{"unschedulable":true}}`)
	for i := 0; i < workspaces; i++ {
		f.teams = append(f.teams, f.addTeam(b, fmt.Sprintf("team-%d", i), namespaces))
	}
	for _, t := range f.teams {
		k := f.s.Kubectl(t.path)
		k.MustRun(b, "wait", "--for=condition=Ready", "placement/cluster", "--timeout=60s")
		if got := k.MustRun(b, "get", "placement", "cluster", "-o", "jsonpath={.status.selectedTargets[*].name}"); got != "a" {
			b.Fatalf("%s's Placement chose %q, not a", t.path, got)
		}
	}
	f.compute.MustRun(b, "patch", "synctarget", "b", "--type=merge", "-p", `{"spec":{"unschedulable":false}}`)
	return f
}

// registerTarget registers the cluster name as a SyncTarget supporting the Deployments, as `kubectl gantry sync`
// tells an owner to (its manifests applied downstream), gives it evictAfter 0s and starts its syncer with
// failoverHeartbeat, and waits until it is Ready.
func (f *failoverBench) registerTarget(b *testing.B, owner *harness.Kubectl, name string) *harness.Process {
	b.Helper()
	kc := f.clusters[name]
	manifest := filepath.Join(b.TempDir(), name+"-syncer.yaml")
	if _, progress, err := owner.Run("gantry", "sync", name, "--supported-api-export", f.computePath+":kubernetes", "-o", manifest); err != nil {
		b.Fatalf("gantry sync %s: %v\n%s", name, err, progress)
	}
	manifests, err := os.ReadFile(manifest)
	if err != nil {
		b.Fatal(err)
	}
	f.s.KubectlWith(kc.Kubeconfig()).WithStdin(string(manifests)).MustRun(b, "apply", "-f", "-")
	f.compute.MustRun(b, "patch", "synctarget", name, "--type=merge", "-p", `{"spec":{"evictAfter":"0s"}}`)
	f.metricsAddrs[name] = fmt.Sprintf("127.0.0.1:%d", harness.FreePort(b))
	args := []string{"--from-kubeconfig", syncerSecretKubeconfig(b, string(manifests)), "--to-kubeconfig", kc.Kubeconfig(),
		"--sync-target", f.computePath + "/" + name, "--heartbeat-period", failoverHeartbeat,
		"--metrics-bind-address", f.metricsAddrs[name], "--health-probe-bind-address", "0"}
	if os.Getenv("GANTRY_BENCH_FAILOVER_PROFILE") != "" {
		args = append(args, "--profiling")
	}
	p := harness.StartProcess(b, harness.SyncerBinary(b), args...)
	f.compute.MustRun(b, "wait", "--for=condition=Ready", "synctarget/"+name, "--timeout=120s")
	return p
}

// syncerSecretKubeconfig writes the Gantry kubeconfig of the rendered manifests' Secret to a file and returns its
// path.
func syncerSecretKubeconfig(b *testing.B, manifests string) string {
	b.Helper()
	for _, doc := range strings.Split(manifests, "---\n") {
		var secret corev1.Secret
		if yaml.Unmarshal([]byte(doc), &secret) == nil && secret.Kind == "Secret" {
			path := filepath.Join(b.TempDir(), "syncer.kubeconfig")
			if err := os.WriteFile(path, []byte(secret.StringData["kubeconfig"]), 0o600); err != nil {
				b.Fatal(err)
			}
			return path
		}
	}
	b.Fatal("no Secret in the manifests of gantry sync")
	return ""
}

// addTeam creates the workspace root:<name> binding the compute workspace's kubernetes export, its namespaces
// (default and ns-1 ... ns-<namespaces-1>) and the Placement cluster of one cluster.
func (f *failoverBench) addTeam(b *testing.B, name string, namespaces int) failoverTeam {
	b.Helper()
	path, cluster := f.s.CreateWorkspace(b, "root", name)
	k := f.s.Kubectl(path)
	k.WithStdin("apiVersion: apis.gantry.dev/v1alpha1\nkind: APIBinding\nmetadata: {name: kubernetes}\nspec:\n  reference:\n    export: {path: '"+
		f.computePath+"', name: kubernetes}\n").MustRun(b, "create", "-f", "-")
	k.MustRun(b, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/kubernetes", "--timeout=60s")
	t := failoverTeam{path: path, cluster: cluster, up: dynamicOf(b, f.s, path), namespaces: []string{"default"}}
	for i := 1; i < namespaces; i++ {
		ns := fmt.Sprintf("ns-%d", i)
		k.MustRun(b, "create", "namespace", ns)
		t.namespaces = append(t.namespaces, ns)
	}
	k.WithStdin("apiVersion: compute.gantry.dev/v1alpha1\nkind: Placement\nmetadata: {name: cluster}\nspec: {locationWorkspace: \""+
		f.computePath+"\", clusters: 1}\n").MustRun(b, "create", "-f", "-")
	return t
}

// createObjects creates n objects <resource>-<i> made by newObject, spread round-robin over the teams'
// namespaces; each is placed at creation on the target its namespace's Placement chose.
func (f *failoverBench) createObjects(b *testing.B, n int, resource schema.GroupVersionResource,
	newObject func(namespace, name string) *unstructured.Unstructured) {
	b.Helper()
	type slot struct {
		up        dynamic.Interface
		namespace string
	}
	var slots []slot
	for _, t := range f.teams {
		for _, ns := range t.namespaces {
			slots = append(slots, slot{t.up, ns})
		}
	}
	each(n, func(i int) {
		s := slots[i%len(slots)]
		if _, err := s.up.Resource(resource).Namespace(s.namespace).Create(context.Background(),
			newObject(s.namespace, fmt.Sprintf("app-%d", i)), metav1.CreateOptions{}); err != nil {
			b.Error(err)
		}
	})
	if b.Failed() {
		b.FailNow()
	}
}

// failoverConfigMap is a small ConfigMap.
func failoverConfigMap(namespace, name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]interface{}{"name": name, "namespace": namespace},
		"data":     map[string]interface{}{"model": "llama", "replicas": "1"}}}
}

// failoverDeployment is a one-replica Deployment without resource requests, which kwok's fake nodes run.
func failoverDeployment(namespace, name string) *unstructured.Unstructured {
	labels := map[string]interface{}{"app": name}
	return &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]interface{}{"name": name, "namespace": namespace},
		"spec": map[string]interface{}{"replicas": int64(1), "selector": map[string]interface{}{"matchLabels": labels},
			"template": map[string]interface{}{"metadata": map[string]interface{}{"labels": labels},
				"spec": map[string]interface{}{"containers": []interface{}{
					map[string]interface{}{"name": "server", "image": "registry.example/server:v1"}}}}}}}
}

// waitAll waits until want keys arrived in a, failing after failoverWait.
func (f *failoverBench) waitAll(b *testing.B, a *arrivals, want int, what string) {
	b.Helper()
	for deadline := time.Now().Add(failoverWait); a.count() < want; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d %s after %s", a.count(), want, what, failoverWait)
		}
	}
}

// available maps a downstream copy whose Available condition is True to its upstream object's key.
func available(u *unstructured.Unstructured) string {
	if conditionStatus(u, "Available") != "True" {
		return ""
	}
	return upstreamName(u)
}

// availableSince reports whether an object's Available condition is True and turned so at or after since: on
// an upstream Deployment, the status of a copy created then.
func availableSince(u *unstructured.Unstructured, since time.Time) bool {
	c := condition(u, "Available")
	if c == nil || c["status"] != "True" {
		return false
	}
	at, err := time.Parse(time.RFC3339, fmt.Sprint(c["lastTransitionTime"]))
	return err == nil && !at.Before(since)
}

// conditionStatus is the status of an object's condition of type kind, or "" without one.
func conditionStatus(u *unstructured.Unstructured, kind string) string {
	if c := condition(u, kind); c != nil {
		return fmt.Sprint(c["status"])
	}
	return ""
}

// condition is an object's status condition of type kind, or nil.
func condition(u *unstructured.Unstructured, kind string) map[string]interface{} {
	conditions, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conditions {
		if m, ok := c.(map[string]interface{}); ok && m["type"] == kind {
			return m
		}
	}
	return nil
}

// stringAt is the string at path in u, or "".
func stringAt(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

// dynamicOf is an admin dynamic client of the workspace at path.
func dynamicOf(b *testing.B, s *harness.Server, path string) dynamic.Interface {
	b.Helper()
	_, d := s.Clients(b, path)
	return d
}

// profileCPU, when GANTRY_BENCH_FAILOVER_PROFILE names a folder, records GANTRY_BENCH_FAILOVER_PROFILE_SECONDS
// (default 30) of CPU profile of Gantry (gantry.cpu.pb), b's kube-apiserver (kube-apiserver-b.cpu.pb) and b's
// syncer (syncer-b.cpu.pb) there, from now on, in the background; the returned function waits until all are
// written.
func (f *failoverBench) profileCPU(b *testing.B) (wait func()) {
	b.Helper()
	dir := os.Getenv("GANTRY_BENCH_FAILOVER_PROFILE")
	if dir == "" {
		return func() {}
	}
	gantryConfig, err := f.s.RESTConfig("root")
	if err != nil {
		b.Fatal(err)
	}
	gantryHTTP, err := rest.HTTPClientFor(gantryConfig)
	if err != nil {
		b.Fatal(err)
	}
	downConfig := f.clusters["b"].RESTConfig()
	downHTTP, err := rest.HTTPClientFor(downConfig)
	if err != nil {
		b.Fatal(err)
	}
	return recordCPUProfiles(b, dir, envInt("GANTRY_BENCH_FAILOVER_PROFILE_SECONDS", 30), []profileSource{
		{gantryHTTP, f.s.URL("root") + "/debug/pprof/profile", "gantry.cpu.pb"},
		{downHTTP, downConfig.Host + "/debug/pprof/profile", "kube-apiserver-b.cpu.pb"},
		{http.DefaultClient, "http://" + f.metricsAddrs["b"] + "/debug/pprof/profile", "syncer-b.cpu.pb"},
	})
}

// clockTicks is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const clockTicks = 100

// childCPU is the CPU time (user and system) used so far by each process this benchmark started (its direct
// children: Gantry, the syncers, each cluster's components), by name: the binary's, with "-a" or "-b" when its
// command line names that cluster's folder. It reads /proc, so it is empty where there is none.
func (f *failoverBench) childCPU() map[string]time.Duration {
	out := map[string]time.Duration{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return out
	}
	self := strconv.Itoa(os.Getpid())
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The fields after the command, which is in parentheses and may hold spaces: state, ppid, ... utime
		// (the 14th field of the line) and stime (15th).
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) < 13 || fields[1] != self {
			continue
		}
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(cmdline), "\x00")
		name := filepath.Base(args[0])
		for cluster, kc := range f.clusters {
			if strings.Contains(string(cmdline), filepath.Dir(kc.LogDir())+string(filepath.Separator)) {
				name += "-" + cluster
			}
		}
		out[name] += time.Duration(utime+stime) * time.Second / clockTicks
	}
	return out
}

// logCPU logs the CPU time each process used between two childCPU readings, most first, and reports their sum.
func logCPU(b *testing.B, before, after map[string]time.Duration, wall time.Duration) {
	names := make([]string, 0, len(after))
	var total time.Duration
	for name := range after {
		names = append(names, name)
		total += after[name] - before[name]
	}
	sort.Slice(names, func(i, j int) bool { return after[names[i]]-before[names[i]] > after[names[j]]-before[names[j]] })
	for _, name := range names {
		used := after[name] - before[name]
		b.Logf("failover: CPU %-26s %6.1f s (%3.0f%% of one core)", name, used.Seconds(), 100*used.Seconds()/wall.Seconds())
	}
	b.ReportMetric(total.Seconds(), "cpu-s")
}

// syncerWrites is how many writes (POST, PUT, PATCH) the syncer of target name has sent Gantry, and its cluster,
// how many of those to Gantry were refused with a conflict (409: written from a stale cache, and retried), and how
// many keys its work queue took in (workqueue_adds_total: reconciles, but for keys added again while queued).
func (f *failoverBench) syncerWrites(b *testing.B, name string) [4]float64 {
	b.Helper()
	var out [4]float64
	hosts := []string{fmt.Sprintf("127.0.0.1:%d", f.s.Port), strings.TrimPrefix(f.clusters[name].RESTConfig().Host, "https://")}
	for i, host := range hosts {
		for _, method := range []string{"POST", "PUT", "PATCH"} {
			out[i] += scrapeMetric(b, f.metricsAddrs[name], "rest_client_requests_total", `host="`+host+`"`, `method="`+method+`"`)
			if i == 0 {
				out[2] += scrapeMetric(b, f.metricsAddrs[name], "rest_client_requests_total", `code="409"`, `host="`+host+`"`, `method="`+method+`"`)
			}
		}
	}
	out[3] = scrapeMetric(b, f.metricsAddrs[name], "workqueue_adds_total", `name="gantry_syncer"`)
	return out
}

// waitSyncerIdle waits (at most failoverWait) until the work queue of the syncer of target name has been empty for
// three seconds (a downstream change waits a second before it is queued).
func (f *failoverBench) waitSyncerIdle(b *testing.B, name string) {
	b.Helper()
	idleSince := time.Time{}
	for deadline := time.Now().Add(failoverWait); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		switch {
		case scrapeMetric(b, f.metricsAddrs[name], "workqueue_depth", `name="gantry_syncer"`) != 0:
			idleSince = time.Time{}
		case idleSince.IsZero():
			idleSince = time.Now()
		case time.Since(idleSince) >= 3*time.Second:
			return
		}
	}
	b.Fatalf("the work queue of %s's syncer was not idle within %s", name, failoverWait)
}
