package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gantry-dev/gantry/test/harness"
)

// BenchmarkAuthorizationCost compares GET latency in a workspace holding GANTRY_BENCH_ROLEBINDINGS (default
// 1,000) RoleBindings for a user judged by RBAC, against a user in system:masters, whom the privileged-group
// check allows before RBAC runs (the always-allow baseline). Both authenticate with a bearer token, so only
// authorization differs. The two callers alternate on one server for GANTRY_BENCH_ROUNDS rounds (default 1), in
// the order AB, BA, AB..., so that the machine's drift falls on both; read each round's pair as one ratio. With
// GANTRY_BENCH_CPUPROFILE_DIR set, it then profiles the server's CPU for 10 s of GETs by each caller
// (cpu-always-allow.pb, cpu-rbac.pb in that directory) and logs how many GETs each profile covers.
func BenchmarkAuthorizationCost(b *testing.B) {
	n := envInt("GANTRY_BENCH_ROLEBINDINGS", 1000)
	rounds := envInt("GANTRY_BENCH_ROUNDS", 1)
	tokens := filepath.Join(b.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("bench-token,bench-user,uid-bench\nmaster-token,bench-master,uid-master,\"system:masters\"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	s := harness.Start(b, "--token-auth-file", tokens)
	path, _ := s.CreateWorkspace(b, "root", "authz")
	admin, _ := s.Clients(b, path)
	ctx := context.Background()
	if _, err := admin.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "target"}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			subject := fmt.Sprintf("user-%d", i)
			if i == n-1 {
				subject = "bench-user" // the one binding that matters is the last of many
			}
			_, err := admin.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb-%d", i)},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
				Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: subject}},
			}, metav1.CreateOptions{})
			if err != nil {
				b.Error(err)
			}
		}(i)
	}
	wg.Wait()
	userCfg, err := s.RESTConfigAs(path, "bench-token")
	if err != nil {
		b.Fatal(err)
	}
	user := kubernetes.NewForConfigOrDie(userCfg)
	// Wait until the RBAC index has the user's binding.
	for {
		if _, err := user.CoreV1().ConfigMaps("default").Get(ctx, "target", metav1.GetOptions{}); err == nil {
			break
		}
	}
	getOnce := func(c kubernetes.Interface) error {
		_, err := c.CoreV1().ConfigMaps("default").Get(ctx, "target", metav1.GetOptions{})
		return err
	}
	get := func(b *testing.B, c kubernetes.Interface) {
		for i := 0; i < b.N; i++ {
			if err := getOnce(c); err != nil {
				b.Fatal(err)
			}
		}
	}
	masterCfg, err := s.RESTConfigAs(path, "master-token")
	if err != nil {
		b.Fatal(err)
	}
	master := kubernetes.NewForConfigOrDie(masterCfg)
	callers := []struct {
		name, benchmark string
		client          kubernetes.Interface
	}{
		{"always-allow", "always-allow-baseline", master},
		{"rbac", fmt.Sprintf("rbac-%d-rolebindings", n), user},
	}
	for round := 0; round < rounds; round++ {
		for i := range callers {
			c := callers[(i+round)%len(callers)]
			b.Run(c.benchmark, func(b *testing.B) { get(b, c.client) })
		}
	}
	// One GET by each caller in turn, each timed: drift on the shared machine then falls on both alike, and the
	// medians leave out the requests that a burst of other work delayed. The mean ratio is what ns/op compares.
	b.Run(fmt.Sprintf("interleaved-%d-rolebindings", n), func(b *testing.B) {
		var allow, rbac []time.Duration
		for i := 0; i < b.N; i++ {
			for j := range callers {
				c := callers[(i+j)%len(callers)]
				start := time.Now()
				if err := getOnce(c.client); err != nil {
					b.Fatal(err)
				}
				if took := time.Since(start); c.name == "rbac" {
					rbac = append(rbac, took)
				} else {
					allow = append(allow, took)
				}
			}
		}
		b.ReportMetric(float64(percentile(allow, 50).Microseconds()), "allow-p50-µs")
		b.ReportMetric(float64(percentile(rbac, 50).Microseconds()), "rbac-p50-µs")
		b.ReportMetric(float64(percentile(rbac, 50))/float64(percentile(allow, 50)), "p50-ratio")
		b.ReportMetric(float64(percentile(rbac, 99))/float64(percentile(allow, 99)), "p99-ratio")
		b.ReportMetric(float64(mean(rbac))/float64(mean(allow)), "mean-ratio")
	})
	if dir := os.Getenv("GANTRY_BENCH_CPUPROFILE_DIR"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		rootCfg, err := s.RESTConfig("root")
		if err != nil {
			b.Fatal(err)
		}
		pprof := kubernetes.NewForConfigOrDie(rootCfg).Discovery().RESTClient()
		for _, c := range callers {
			requests := 0
			done := make(chan struct{})
			go func() {
				defer close(done)
				deadline := time.Now().Add(10 * time.Second)
				for time.Now().Before(deadline) {
					if err := getOnce(c.client); err != nil {
						b.Error(err)
						return
					}
					requests++
				}
			}()
			profile, err := pprof.Get().AbsPath("/debug/pprof/profile").Param("seconds", "10").DoRaw(ctx)
			<-done
			if err != nil {
				b.Fatal(err)
			}
			file := filepath.Join(dir, "cpu-"+c.name+".pb")
			if err := os.WriteFile(file, profile, 0o644); err != nil {
				b.Fatal(err)
			}
			// Written to a file as well, since a parent benchmark's log is not printed once its sub-benchmarks ran.
			line := fmt.Sprintf("%s: %d GETs during the 10 s server CPU profile %s\n", c.name, requests, file)
			if err := os.WriteFile(filepath.Join(dir, "requests-"+c.name+".txt"), []byte(line), 0o644); err != nil {
				b.Fatal(err)
			}
			fmt.Print(line)
		}
	}
}

func mean(d []time.Duration) time.Duration {
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}
