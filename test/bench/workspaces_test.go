package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	"github.com/gantry-dev/gantry/test/harness"
)

// createReady creates n workspaces named prefix-i in root with the given concurrency and returns when all are
// Ready, observed through one watch.
func createReady(b *testing.B, dyn dynamic.Interface, prefix string, n, concurrency int) time.Duration {
	b.Helper()
	return createReadyNamed(b, dyn, func(i int) string { return fmt.Sprintf("%s-%d", prefix, i) }, n, concurrency)
}

// createReadyNamed creates the n workspaces name(0) .. name(n-1) in root with the given concurrency and returns
// when all are Ready, observed through a watch (listed and watched again if the server ends it, as it does to a
// watcher that falls behind).
func createReadyNamed(b *testing.B, dyn dynamic.Interface, name func(int) string, n, concurrency int) time.Duration {
	b.Helper()
	wanted := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		wanted[name(i)] = true
	}
	ctx := context.Background()
	ws := dyn.Resource(harness.WorkspacesGVR)
	ready := map[string]bool{}
	observe := func(u *unstructured.Unstructured) bool {
		if phase, _, _ := unstructured.NestedString(u.Object, "status", "phase"); phase == "Ready" && wanted[u.GetName()] {
			ready[u.GetName()] = true
		}
		return len(ready) == n
	}
	allReady, stopWatching := workspaceWatch{
		event: func(ev watch.Event) bool {
			u, ok := ev.Object.(*unstructured.Unstructured)
			return ok && observe(u)
		},
		relisted: func(items []unstructured.Unstructured) bool {
			for i := range items {
				observe(&items[i])
			}
			return len(ready) == n
		},
	}.start(ctx, b, ws, "readiness")
	defer stopWatching()

	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for c := 0; c < concurrency; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				obj := &unstructured.Unstructured{Object: map[string]interface{}{
					"apiVersion": "tenancy.gantry.dev/v1alpha1", "kind": "Workspace",
					"metadata": map[string]interface{}{"name": name(int(i))},
				}}
				if _, err := ws.Create(ctx, obj, metav1.CreateOptions{}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-allReady:
	case <-time.After(10 * time.Minute):
		b.Fatalf("not all of %d workspaces Ready after 10 minutes", n)
	}
	return time.Since(start)
}

// waitNamespaceDefaults returns how long it took, from now, until want namespaces across all workspaces have their
// ServiceAccount "default" and ConfigMap kube-root-ca.crt (one wildcard list of each, by name, every half second or
// twice as long as the lists took), failing after GANTRY_BENCH_DEFAULTS_WAIT_SECONDS (default 600).
func waitNamespaceDefaults(b *testing.B, s *harness.Server, want int) time.Duration {
	b.Helper()
	all, _ := s.Clients(b, "*")
	ctx := context.Background()
	start := time.Now()
	for {
		listStart := time.Now()
		sas, err := all.CoreV1().ServiceAccounts("").List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=default"})
		if err != nil {
			b.Fatal(err)
		}
		cms, err := all.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{FieldSelector: "metadata.name=kube-root-ca.crt"})
		if err != nil {
			b.Fatal(err)
		}
		if len(sas.Items) >= want && len(cms.Items) >= want {
			return time.Since(start)
		}
		if limit := time.Duration(envInt("GANTRY_BENCH_DEFAULTS_WAIT_SECONDS", 600)) * time.Second; time.Since(start) > limit {
			b.Fatalf("after %s only %d default ServiceAccounts and %d kube-root-ca.crt of %d namespaces", limit, len(sas.Items), len(cms.Items), want)
		}
		// At 100,000 workspaces the two lists are seconds of the server's CPU: polling back to back would slow down
		// the very controller waited for.
		time.Sleep(max(500*time.Millisecond, 2*time.Since(listStart)))
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkWorkspaceCreationToReady reports workspaces/s from the first create to the last Ready, and the RSS
// cost per empty workspace, at GANTRY_BENCH_WORKSPACES (default 1000) workspaces.
func BenchmarkWorkspaceCreationToReady(b *testing.B) {
	n := envInt("GANTRY_BENCH_WORKSPACES", 1000)
	for i := 0; i < b.N; i++ {
		s := harness.Start(b)
		_, dyn := s.Clients(b, "root")
		// Warm up the paths once so the baseline includes every cache and connection.
		createReady(b, dyn, "warmup", 10, 4)
		time.Sleep(2 * time.Second)
		before, err := s.RSSKiB()
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		elapsed := createReady(b, dyn, "ws", n, 16)
		b.StopTimer()
		settled := waitNamespaceDefaults(b, s, n+10+1) // the new, the warm-up and root's default namespaces
		time.Sleep(5 * time.Second)                    // let the Go runtime settle before reading RSS
		after, err := s.RSSKiB()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "workspaces/s")
		b.ReportMetric(float64(after-before)/float64(n), "KiB-RSS/workspace")
		b.ReportMetric(float64(after)/1024, "MiB-RSS-total")
		b.ReportMetric(settled.Seconds(), "s-defaults-after-Ready")
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkGetAndListAmongWorkspaces measures GET and LIST latency inside one workspace while
// GANTRY_BENCH_WORKSPACES (default 1000) workspaces exist, each holding 10 configmaps.
func BenchmarkGetAndListAmongWorkspaces(b *testing.B) {
	n := envInt("GANTRY_BENCH_WORKSPACES", 1000)
	s := harness.Start(b)
	_, dyn := s.Clients(b, "root")
	createReady(b, dyn, "ws", n, 16)
	ctx := context.Background()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, _ := s.Clients(b, fmt.Sprintf("root:ws-%d", i))
			for j := 0; j < 10; j++ {
				if _, err := c.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{
					ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", j)}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
					b.Error(err)
				}
			}
		}(i)
	}
	wg.Wait()
	client, _ := s.Clients(b, "root:ws-500")

	b.Run("GET", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := client.CoreV1().ConfigMaps("default").Get(ctx, "cm-5", metav1.GetOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("LIST", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			l, err := client.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
			if err != nil || countPrefixed(l.Items, "cm-") != 10 {
				b.Fatalf("list: %v (%d items)", err, len(l.Items))
			}
		}
	})
	b.Run("LIST-from-cache", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			l, err := client.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{ResourceVersion: "0"})
			if err != nil || countPrefixed(l.Items, "cm-") != 10 {
				b.Fatalf("list: %v (%d items)", err, len(l.Items))
			}
		}
	})
}
