package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/placement"
	"github.com/gantry-dev/gantry/pkg/syncer"
	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

var (
	chaosConfigMapsGVR  = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	chaosDeploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
)

// chaosTeam is a team workspace of TestSyncersRestartWhileObjectsChange, with the targets its Placement chose.
type chaosTeam struct {
	name    string
	cluster string // its logical cluster
	kubectl *harness.Kubectl
	dyn     dynamic.Interface
	downNS  string   // the downstream namespace of its namespace default, the same in every cluster
	targets []string // the SyncTargets its Placement says it runs on
}

// chaosTarget is one downstream cluster with its SyncTarget's key, state label and syncer finalizer.
type chaosTarget struct {
	name                  string
	key, label, finalizer string
	down                  dynamic.Interface
	downCS                kubernetes.Interface
	syncer                *harness.Process
}

// chaosObject is one object the writer keeps changing.
type chaosObject struct {
	team *chaosTeam
	gvr  schema.GroupVersionResource
	name string
}

func (o chaosObject) String() string { return o.team.name + "/" + o.gvr.Resource + "/" + o.name }

// chaosWriter keeps creating, changing and deleting a fixed set of configmaps and bound Deployments, as a team's
// users would, until its context ends. ops counts its operations, so that the test can let it run "a while" in
// work done rather than in wall-clock time.
type chaosWriter struct {
	objects []chaosObject
	rng     *rand.Rand
	rev     int
	ops     atomic.Int64
	// deleted: the UID each object had when the writer last deleted it, "" once it created it again (read once the
	// writer stopped). An object whose last change was cut off by the writer's stop is not in it: the request may
	// or may not have taken effect.
	deleted map[chaosObject]types.UID
	// refused counts the writes refused for a deletion in progress or just finished, by operation and reason.
	refused map[string]int
}

// run creates every object, then changes random ones until ctx ends.
func (w *chaosWriter) run(ctx context.Context) error {
	for _, o := range w.objects {
		if err := w.create(ctx, o); err != nil {
			return err
		}
		w.ops.Add(1)
	}
	for ctx.Err() == nil {
		o := w.objects[w.rng.Intn(len(w.objects))]
		if err := w.step(ctx, o); err != nil {
			if ctx.Err() != nil {
				// Stopped mid-change: a create or delete the server committed after the client gave up on it
				// would otherwise be reported as lost.
				delete(w.deleted, o)
				return nil
			}
			return err
		}
		w.ops.Add(1)
		// Pacing only, so that the writer does not starve the rest of a small machine; no step waits on it.
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// benign reports whether a write of o failed only because of a deletion in progress or just finished (a delete
// waits for both syncers' finalizers, and a syncer that is down holds it), and counts such refusals. A 404 that
// is not about o itself (the resource not served) is no such refusal.
func (w *chaosWriter) benign(op string, o chaosObject, err error) bool {
	if err == nil {
		return true
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil || status.Status().Details.Name != o.name {
		return false
	}
	if reason := apierrors.ReasonForError(err); apierrors.IsNotFound(err) || apierrors.IsAlreadyExists(err) || apierrors.IsConflict(err) {
		w.refused[op+" "+string(reason)]++
		return true
	}
	return false
}

// step makes one change to o: creates it when missing, otherwise deletes it (one time in five) or changes its
// data or spec.
func (w *chaosWriter) step(ctx context.Context, o chaosObject) error {
	client := o.team.dyn.Resource(o.gvr).Namespace("default")
	cur, err := client.Get(ctx, o.name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return w.create(ctx, o)
	case err != nil:
		return fmt.Errorf("reading %s: %w", o, err)
	case cur.GetDeletionTimestamp() != nil:
		return nil // still held by a syncer's finalizer
	}
	w.rev++
	if w.rng.Intn(5) == 0 {
		uid := cur.GetUID()
		err = client.Delete(ctx, o.name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
		if !w.benign("delete", o, err) {
			return fmt.Errorf("deleting %s: %w", o, err)
		}
		if err == nil || apierrors.IsNotFound(err) {
			w.deleted[o] = uid
		}
		return nil
	}
	var patch string
	switch {
	case o.gvr == chaosConfigMapsGVR && w.rng.Intn(2) == 0:
		// A key the upstream object drops must be dropped downstream too.
		patch = fmt.Sprintf(`{"data":{"rev":"%d","extra":null}}`, w.rev)
	case o.gvr == chaosConfigMapsGVR:
		patch = fmt.Sprintf(`{"data":{"rev":"%d","extra":"x%d"}}`, w.rev, w.rev)
	default:
		switch w.rng.Intn(3) {
		case 0:
			patch = fmt.Sprintf(`{"spec":{"replicas":%d}}`, w.rng.Intn(3))
		case 1:
			patch = fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{"rev":"%d"}}}}}`, w.rev)
		default:
			patch = fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"server","image":"vllm/vllm-openai:v0.6.%d",`+
				`"env":[{"name":"REV","value":"%d"}]}]}}}}`, w.rev%10, w.rev)
		}
	}
	_, err = client.Patch(ctx, o.name, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	if !w.benign("patch", o, err) {
		return fmt.Errorf("patching %s with %s: %w", o, patch, err)
	}
	return nil
}

// create creates o anew; one still being deleted is left for a later step.
func (w *chaosWriter) create(ctx context.Context, o chaosObject) error {
	w.rev++
	obj := &unstructured.Unstructured{}
	if o.gvr == chaosConfigMapsGVR {
		obj.SetAPIVersion("v1")
		obj.SetKind("ConfigMap")
		obj.Object["data"] = map[string]interface{}{"rev": strconv.Itoa(w.rev)}
	} else {
		obj.SetAPIVersion("apps/v1")
		obj.SetKind("Deployment")
		labels := map[string]interface{}{"app": o.name}
		obj.Object["spec"] = map[string]interface{}{
			"replicas": int64(w.rng.Intn(3)),
			"selector": map[string]interface{}{"matchLabels": labels},
			"template": map[string]interface{}{
				"metadata": map[string]interface{}{"labels": labels},
				"spec": map[string]interface{}{"containers": []interface{}{map[string]interface{}{
					"name": "server", "image": "vllm/vllm-openai:v0.6.0",
					"env": []interface{}{map[string]interface{}{"name": "REV", "value": strconv.Itoa(w.rev)}},
				}}},
			},
		}
	}
	obj.SetName(o.name)
	obj.SetNamespace("default")
	obj.SetLabels(map[string]string{"chaos": "yes"})
	_, err := o.team.dyn.Resource(o.gvr).Namespace("default").Create(ctx, obj, metav1.CreateOptions{})
	if !w.benign("create", o, err) {
		return fmt.Errorf("creating %s: %w", o, err)
	}
	if err == nil {
		w.deleted[o] = ""
	}
	return nil
}

// TestSyncersRestartWhileObjectsChange: two real clusters east and west; team-a's Placement runs its objects on
// both (clusters: 2), team-b's on west alone (a location selector). While a writer keeps creating, changing and
// deleting 100 configmaps and bound Deployments of both teams, east's syncer is killed (kill -9); once its target
// is not Ready and evicted (evictAfter), so that team-a runs on west alone, it is restarted, killed again while it
// catches up, and restarted, and team-a takes it back. Then west's syncer goes the same way (west is never
// evicted), and while it is down team-b's Placement moves to east. Once the writer stops, every cluster holds
// exactly what the placements say: a copy of every upstream object placed there, with the same data or spec, and
// nothing else (no orphans of deleted, re-created or moved objects, no leftover namespace); upstream no object is
// left with a Delete label, a stale state label or finalizer, or held by a syncer's finalizer.
func TestSyncersRestartWhileObjectsChange(t *testing.T) {
	eastKC, westKC := kubecluster.Start(t), kubecluster.Start(t)
	eastKC.AddGPUNode(t, "gpu-0", h100, 4)
	westKC.AddGPUNode(t, "gpu-0", h100, 4)
	s := harness.Start(t, "--synctarget-lease=5s")
	computePath, computeCluster := s.CreateWorkspace(t, "root", "compute")
	owner := s.UserShell(t, computePath, "")
	_, progress, err := owner.Run("gantry", "import-apis", "--from-kubeconfig", eastKC.Kubeconfig(), "deployments.apps")
	require.NoError(t, err, progress)
	targets := map[string]*chaosTarget{}
	for name, kc := range map[string]*kubecluster.Cluster{"east": eastKC, "west": westKC} {
		targets[name] = &chaosTarget{name: name, key: computev1alpha1.TargetKey(computeCluster, name),
			label: computev1alpha1.StateLabel(computeCluster, name), finalizer: computev1alpha1.SyncerFinalizer(computeCluster, name),
			down: dynamic.NewForConfigOrDie(kc.RESTConfig()), downCS: kubernetes.NewForConfigOrDie(kc.RESTConfig()),
			syncer: registerCluster(t, s, computePath, kc, name)}
	}
	compute := s.Kubectl(computePath)
	compute.MustRun(t, "label", "synctarget", "west", "chaos.gantry.dev/team-b=yes")
	// east's objects are placed elsewhere once it misses heartbeats for a second more than the lease; west's stay.
	compute.MustRun(t, "patch", "synctarget", "east", "--type=merge", "-p", `{"spec":{"evictAfter":"1s"}}`)

	f := &computeFlow{s: s, computePath: computePath}
	var teams []*chaosTeam
	for _, team := range []struct {
		name, spec string
		targets    []string
	}{
		{"team-a", "clusters: 2", []string{"east", "west"}},
		{"team-b", "clusters: 1, locationSelector: {matchLabels: {chaos.gantry.dev/team-b: \"yes\"}}", []string{"west"}},
	} {
		k, downNS := f.addTeam(t, team.name, false)
		k.WithStdin("apiVersion: compute.gantry.dev/v1alpha1\nkind: Placement\nmetadata: {name: chaos}\nspec: {locationWorkspace: \""+
			computePath+"\", "+team.spec+"}\n").MustRun(t, "create", "-f", "-")
		k.MustRun(t, "wait", "--for=condition=Ready", "placement/chaos", "--timeout=120s")
		require.Equal(t, strings.Join(team.targets, " "), k.MustRun(t, "get", "placement", "chaos", "-o", "jsonpath={.status.selectedTargets[*].name}"))
		path, cluster := s.WaitWorkspaceReady(t, "root", team.name)
		_, dyn := s.Clients(t, path)
		teams = append(teams, &chaosTeam{name: team.name, cluster: cluster, kubectl: k, dyn: dyn, downNS: downNS, targets: team.targets})
		for _, target := range team.targets {
			label := targets[target].label
			eventually(t, team.name+"'s namespace placed on "+target, func() bool { return labelOf(t, k, "namespace/default", label) == "Sync" })
		}
	}

	// 100 objects: team-a 45 configmaps and 25 Deployments, team-b 20 and 10, some of the same names in both.
	seed := time.Now().UnixNano()
	t.Logf("the writer's random seed: %d", seed)
	w := &chaosWriter{rng: rand.New(rand.NewSource(seed)), deleted: map[chaosObject]types.UID{},
		refused: map[string]int{}}
	for i, counts := range [][2]int{{45, 25}, {20, 10}} {
		for n := 0; n < counts[0]; n++ {
			w.objects = append(w.objects, chaosObject{team: teams[i], gvr: chaosConfigMapsGVR, name: fmt.Sprintf("cm-%02d", n)})
		}
		for n := 0; n < counts[1]; n++ {
			w.objects = append(w.objects, chaosObject{team: teams[i], gvr: chaosDeploymentsGVR, name: fmt.Sprintf("llm-%02d", n)})
		}
	}
	ctx, stopWriter := context.WithCancel(context.Background())
	defer stopWriter()
	writerDone := make(chan error, 1)
	go func() { writerDone <- w.run(ctx) }()
	// waitOps waits until the writer has made n more changes, failing when it stopped (with an error).
	waitOps := func(what string, n int64) {
		t.Helper()
		until := w.ops.Load() + n
		var stopped bool
		var writerErr error
		done := pollUntil(3*time.Minute, 100*time.Millisecond, func() bool {
			select {
			case writerErr = <-writerDone:
				stopped = true
				return true
			default:
				return w.ops.Load() >= until
			}
		})
		require.False(t, stopped, "the writer stopped early: %v", writerErr)
		require.True(t, done, what)
	}
	waitOps("the writer created every object", int64(len(w.objects)))

	for _, name := range []string{"east", "west"} {
		target := targets[name]
		target.syncer.Stop(syscall.SIGKILL)
		compute.MustRun(t, "wait", "--for=jsonpath={.status.conditions[?(@.type=='Ready')].reason}=HeartbeatMissed", "synctarget/"+name, "--timeout=120s")
		waitOps("changes while "+name+"'s syncer is down", 50)
		if name == "east" {
			// With no third target, team-a runs on west alone until east is back: its objects turn Delete for east,
			// which east's syncer, once back, finds with their copies still there.
			eventually(t, "team-a's Placement evicted east", func() bool { return chosenTargets(t, teams[0]) == "west" })
		}
		if name == "west" {
			// team-b moves to east while west's syncer is down: once back, west must remove its now-unplaced copies.
			teamB := teams[1]
			compute.MustRun(t, "label", "synctarget", "east", "chaos.gantry.dev/team-b=yes")
			compute.MustRun(t, "label", "synctarget", "west", "chaos.gantry.dev/team-b-")
			teamB.targets = []string{"east"}
			eventually(t, "team-b's Placement moved to east", func() bool {
				return chosenTargets(t, teamB) == "east"
			})
		}
		waitOps("more changes while "+name+"'s syncer is down", 50)
		// Killed again while it catches up (a crash loop), then left to run.
		target.syncer.Start()
		waitOps("changes while "+name+"'s syncer catches up", 20)
		target.syncer.Stop(syscall.SIGKILL)
		waitOps("changes after "+name+"'s syncer crashed again", 20)
		target.syncer.Start()
		compute.MustRun(t, "wait", "--for=condition=Ready", "synctarget/"+name, "--timeout=120s")
		if name == "east" {
			eventually(t, "team-a's Placement took east back", func() bool { return chosenTargets(t, teams[0]) == "east west" })
		}
		waitOps("changes once "+name+"'s syncer is back", 100)
	}
	stopWriter()
	require.NoError(t, <-writerDone)
	t.Logf("the writer made %d changes; refused for deletions in progress: %v", w.ops.Load(), w.refused)

	var diff string
	converged := func() bool {
		diff = chaosDiff(teams, targets, w.deleted)
		return diff == ""
	}
	stopped := time.Now()
	if !pollUntil(4*time.Minute, 500*time.Millisecond, converged) {
		t.Fatalf("the clusters did not converge to what the placements say:\n%s", diff)
	}
	t.Logf("converged %s after the writer stopped", time.Since(stopped).Round(time.Second))
	for _, team := range teams {
		require.Equal(t, strings.Join(team.targets, " "), chosenTargets(t, team), "the restarts moved nothing else")
	}
}

// chosenTargets are the names of the targets a team's Placement chose, sorted and space-separated.
func chosenTargets(t *testing.T, team *chaosTeam) string {
	names := strings.Fields(team.kubectl.MustRun(t, "get", "placement", "chaos", "-o", "jsonpath={.status.selectedTargets[*].name}"))
	sort.Strings(names)
	return strings.Join(names, " ")
}

// pollUntil polls cond every interval until it holds or timeout passes, and reports whether it held.
func pollUntil(timeout, interval time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(interval)
	}
}

// chaosDiff compares every cluster with what the placements say and returns what differs, or "" when nothing does:
// every upstream object of the writer carries exactly its Placement's state labels (all Sync) and syncer finalizers
// and is not being deleted; each cluster holds, of the resources written, exactly one copy of each object placed on
// it, with the upstream data (configmaps) or spec (Deployments), and no other; deleted objects are gone everywhere;
// and the clusters hold no namespace of ours beyond the placed teams'.
func chaosDiff(teams []*chaosTeam, targets map[string]*chaosTarget, deleted map[chaosObject]types.UID) string {
	ctx := context.Background()
	var problems []string
	problem := func(format string, args ...interface{}) { problems = append(problems, fmt.Sprintf(format, args...)) }
	type placed struct {
		obj     *unstructured.Unstructured
		cluster string // its logical cluster
	}
	want := map[string]map[string]placed{}         // target -> "resource ns/name" -> upstream object
	wantNamespaces := map[string]map[string]bool{} // target -> downstream namespace
	for name := range targets {
		want[name] = map[string]placed{}
		wantNamespaces[name] = map[string]bool{}
	}
	upstream := map[chaosObject]*unstructured.Unstructured{}
	for _, team := range teams {
		wantLabels, wantFinalizers := map[string]string{}, []string{}
		for _, name := range team.targets {
			wantLabels[targets[name].label] = computev1alpha1.ResourceStateSync
			wantFinalizers = append(wantFinalizers, targets[name].finalizer)
		}
		sort.Strings(wantFinalizers)
		for _, gvr := range []schema.GroupVersionResource{chaosConfigMapsGVR, chaosDeploymentsGVR} {
			list, err := team.dyn.Resource(gvr).Namespace("default").List(ctx, metav1.ListOptions{LabelSelector: "chaos=yes"})
			if err != nil {
				return fmt.Sprintf("listing %s of %s: %v", gvr.Resource, team.name, err)
			}
			for i := range list.Items {
				obj := &list.Items[i]
				id := fmt.Sprintf("%s %s/%s", team.name, gvr.Resource, obj.GetName())
				upstream[chaosObject{team: team, gvr: gvr, name: obj.GetName()}] = obj
				if obj.GetDeletionTimestamp() != nil {
					problem("%s is being deleted, held by %v", id, obj.GetFinalizers())
					continue
				}
				if labels := placement.StateLabels(obj.GetLabels()); !reflect.DeepEqual(labels, wantLabels) {
					problem("%s has the state labels %v, its Placement says %v", id, labels, wantLabels)
				}
				if finalizers := chaosSyncerFinalizers(obj.GetFinalizers()); !reflect.DeepEqual(finalizers, wantFinalizers) {
					problem("%s has the syncer finalizers %v, want %v", id, finalizers, wantFinalizers)
				}
				for _, name := range team.targets {
					want[name][gvr.Resource+" "+team.downNS+"/"+obj.GetName()] = placed{obj: obj, cluster: team.cluster}
					wantNamespaces[name][team.downNS] = true
				}
			}
		}
	}
	for o, uid := range deleted {
		if obj := upstream[o]; uid != "" && obj != nil {
			problem("%s was deleted last (uid %s) but is still there upstream: uid %s, created %s, finalizers %v", o, uid,
				obj.GetUID(), obj.GetCreationTimestamp(), obj.GetFinalizers())
		}
	}
	names := make([]string, 0, len(targets))
	for name := range targets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		target := targets[name]
		selector := metav1.ListOptions{LabelSelector: syncer.SyncTargetLabel + "=" + target.key}
		seen := map[string]bool{}
		for _, gvr := range []schema.GroupVersionResource{chaosConfigMapsGVR, chaosDeploymentsGVR} {
			list, err := target.down.Resource(gvr).List(ctx, selector)
			if err != nil {
				return fmt.Sprintf("listing %s in %s: %v", gvr.Resource, name, err)
			}
			for i := range list.Items {
				downCopy := &list.Items[i]
				id := gvr.Resource + " " + downCopy.GetNamespace() + "/" + downCopy.GetName()
				p, ok := want[name][id]
				if !ok {
					problem("%s: orphan %s (upstream %s)", name, id, downCopy.GetAnnotations()[syncer.UpstreamAnnotation])
					continue
				}
				seen[id] = true
				up := p.obj
				copyProblem := func(format string, args ...interface{}) { problem(name+": "+id+": "+format, args...) }
				if downCopy.GetDeletionTimestamp() != nil {
					copyProblem("being deleted")
				}
				locator, err := syncer.ParseObjectLocator(downCopy.GetAnnotations()[syncer.UpstreamAnnotation])
				if wantLocator := (syncer.ObjectLocator{Cluster: p.cluster, Namespace: "default", Name: up.GetName()}); err != nil || locator != wantLocator {
					copyProblem("upstream locator %+v (%v), want %+v", locator, err, wantLocator)
				}
				if gvr == chaosConfigMapsGVR {
					if !reflect.DeepEqual(downCopy.Object["data"], up.Object["data"]) {
						copyProblem("data %v, upstream %v", downCopy.Object["data"], up.Object["data"])
					}
					continue
				}
				if !chaosSpecContains(downCopy.Object["spec"], up.Object["spec"]) {
					copyProblem("spec %v does not hold the upstream spec %v", downCopy.Object["spec"], up.Object["spec"])
				}
				if generation := strconv.FormatInt(up.GetGeneration(), 10); downCopy.GetAnnotations()[syncer.UpstreamGenerationAnnotation] != generation {
					copyProblem("carries upstream generation %q, upstream is at %s", downCopy.GetAnnotations()[syncer.UpstreamGenerationAnnotation], generation)
				}
			}
		}
		var missing []string
		for id := range want[name] {
			if !seen[id] {
				missing = append(missing, id)
			}
		}
		sort.Strings(missing)
		for _, id := range missing {
			problem("%s: missing %s", name, id)
		}
		namespaces, err := target.downCS.CoreV1().Namespaces().List(ctx, selector)
		if err != nil {
			return fmt.Sprintf("listing namespaces in %s: %v", name, err)
		}
		for _, ns := range namespaces.Items {
			if !wantNamespaces[name][ns.Name] {
				problem("%s: namespace %s holds nothing placed there", name, ns.Name)
			}
		}
	}
	if len(problems) > 40 {
		problems = append(problems[:40], fmt.Sprintf("... and %d more", len(problems)-40))
	}
	return strings.Join(problems, "\n")
}

// chaosSyncerFinalizers are an object's syncer finalizers, sorted.
func chaosSyncerFinalizers(finalizers []string) []string {
	out := []string{}
	for _, f := range finalizers {
		if strings.HasPrefix(f, computev1alpha1.SyncerFinalizerPrefix) {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// chaosSpecContains reports whether every field the upstream spec sets has the same value in the downstream spec:
// the downstream API server adds its defaults (strategy, revisionHistoryLimit, ...), which the upstream object,
// served from an imported schema, does not have. Lists must have the same length.
func chaosSpecContains(have, want interface{}) bool {
	switch w := want.(type) {
	case map[string]interface{}:
		h, ok := have.(map[string]interface{})
		if !ok {
			return false
		}
		for k, wv := range w {
			if hv, found := h[k]; !found || !chaosSpecContains(hv, wv) {
				return false
			}
		}
		return true
	case []interface{}:
		h, ok := have.([]interface{})
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !chaosSpecContains(h[i], w[i]) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(have, want)
	}
}
