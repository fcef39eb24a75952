package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gantry-dev/gantry/test/harness"
)

// BenchmarkMetricsSeries counts the series of the server's /metrics at 100 workspaces and again at
// GANTRY_BENCH_METRICS_WORKSPACES (default 1000), each workspace having served the same traffic (a create, a get,
// a list and a delete of a configmap), and reports both counts and their ratio. A label carrying a workspace
// would make the ratio grow with the number of workspaces; the goal of issue 12 is a ratio within 5% of 1.
func BenchmarkMetricsSeries(b *testing.B) {
	large := envInt("GANTRY_BENCH_METRICS_WORKSPACES", 1000)
	const small = 100
	if large <= small {
		b.Fatalf("GANTRY_BENCH_METRICS_WORKSPACES must exceed %d", small)
	}
	for i := 0; i < b.N; i++ {
		s := harness.Start(b)
		_, dyn := s.Clients(b, "root")
		scraper := serverScraper(b, s)

		createReady(b, dyn, "ws", small, 16)
		touchWorkspaces(b, s, 0, small)
		atSmall := countSeries(b, scraper)

		extra := large - small
		createReadyNamed(b, dyn, func(i int) string { return fmt.Sprintf("ws-%d", small+i) }, extra, 16)
		touchWorkspaces(b, s, small, large)
		atLarge := countSeries(b, scraper)

		b.ReportMetric(float64(atSmall), fmt.Sprintf("series@%d", small))
		b.ReportMetric(float64(atLarge), fmt.Sprintf("series@%d", large))
		b.ReportMetric(float64(atLarge)/float64(atSmall), "ratio")
		b.ReportMetric(0, "ns/op")
	}
}

// touchWorkspaces sends the same requests to each workspace root:ws-from .. root:ws-(to-1), so that every request
// metric a workspace could add to /metrics is exercised in each.
func touchWorkspaces(b *testing.B, s *harness.Server, from, to int) {
	b.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := from; i < to; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c, _ := s.Clients(b, fmt.Sprintf("root:ws-%d", i))
			cms := c.CoreV1().ConfigMaps("default")
			if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "touch"}}, metav1.CreateOptions{}); err != nil {
				b.Error(err)
				return
			}
			if _, err := cms.Get(ctx, "touch", metav1.GetOptions{}); err != nil {
				b.Error(err)
			}
			if _, err := cms.List(ctx, metav1.ListOptions{}); err != nil {
				b.Error(err)
			}
			if err := cms.Delete(ctx, "touch", metav1.DeleteOptions{}); err != nil {
				b.Error(err)
			}
		}(i)
	}
	wg.Wait()
}

// serverScraper is an admin client of the server's own paths, outside any workspace.
func serverScraper(b *testing.B, s *harness.Server) kubernetes.Interface {
	b.Helper()
	cfg, err := s.RESTConfig("root")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Host = strings.TrimSuffix(cfg.Host, "/clusters/root")
	return kubernetes.NewForConfigOrDie(cfg)
}

// countSeries scrapes /metrics and counts its samples (every line that is not a comment).
func countSeries(b *testing.B, c kubernetes.Interface) int {
	b.Helper()
	raw, err := c.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n
}
