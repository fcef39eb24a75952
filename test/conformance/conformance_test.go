//go:build conformance

package conformance

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/internal/kubecache"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

// Environment variables that make conformance passes (docs/conformance.md).
const (
	// envOut is the directory that keeps the e2e output, the Ginkgo report, gantry's log and the summary.
	envOut = "GANTRY_CONFORMANCE_OUT"
	// envFocus is a regular expression that narrows the run to the specs whose full text it matches.
	envFocus = "GANTRY_CONFORMANCE_FOCUS"
	// envArgs are extra flags for the e2e binary, split at spaces (e.g. --e2e-verify-service-account=false).
	envArgs = "GANTRY_CONFORMANCE_ARGS"
)

// suiteTimeout bounds the whole Ginkgo run; the go test -timeout of make conformance is above it.
const suiteTimeout = 40 * time.Minute

// TestConformance runs the api-machinery e2e specs against a fresh workspace of a real gantry and fails on every
// failure that known-failing.txt does not list.
func TestConformance(t *testing.T) {
	bin := e2eBinary(t)
	plan := loadPlan(t, bin)
	out := outDir(t)

	server := harness.Start(t)
	workspace, _ := server.CreateWorkspace(t, "root", "conformance")
	t.Cleanup(func() { copyFile(t, filepath.Join(server.DataDir, "gantry.log"), filepath.Join(out, "gantry.log")) })
	kubeconfig := workspaceKubeconfig(t, server, workspace, out)
	client, _ := server.Clients(t, workspace)
	provisioned, provisionFailure := namespaceProvisioning(t, client)

	results := runSpecs(t, bin, plan, kubeconfig, out, provisioned, "workspace "+workspace)
	results[NamespaceProvisioningCheck] = Result{State: "passed"}
	if !provisioned {
		results[NamespaceProvisioningCheck] = Result{State: "failed", Failure: provisionFailure}
	}
	report(t, plan, results, out, "workspace "+workspace)
}

// TestConformanceBaseline runs the same specs against the vanilla kube-apiserver of test/kubecluster (with its
// controller-manager), where every one of them must pass: it tells a spec that cannot pass anywhere, or a runner
// fault, from a failure of Gantry's. make conformance-baseline; not part of CI.
func TestConformanceBaseline(t *testing.T) {
	bin := e2eBinary(t)
	plan := loadPlan(t, bin)
	plan.KnownFailing = map[string]string{}
	out := outDir(t)

	cluster := kubecluster.Start(t)
	client := kubernetes.NewForConfigOrDie(cluster.RESTConfig())
	provisioned, provisionFailure := namespaceProvisioning(t, client)

	results := runSpecs(t, bin, plan, cluster.Kubeconfig(), out, provisioned, "kube-apiserver")
	results[NamespaceProvisioningCheck] = Result{State: "passed"}
	if !provisioned {
		results[NamespaceProvisioningCheck] = Result{State: "failed", Failure: provisionFailure}
	}
	report(t, plan, results, out, "kube-apiserver "+kubecache.Kubernetes)
}

// runSpecs runs the plan's specs with the e2e binary against kubeconfig and returns their results. Unless new
// namespaces are provisioned, the framework's wait for their ServiceAccount is turned off: else it waits 2 minutes
// in each spec's namespace and fails every spec there.
func runSpecs(t *testing.T, bin string, plan *Plan, kubeconfig, out string, provisioned bool, target string) map[string]Result {
	t.Helper()
	reportFile := filepath.Join(out, "report.json")
	_ = os.Remove(reportFile)
	args := []string{
		"--kubeconfig=" + kubeconfig,
		"--ginkgo.focus=" + plan.FocusRegexp(),
		"--ginkgo.json-report=" + reportFile,
		"--ginkgo.no-color",
		"--ginkgo.timeout=" + suiteTimeout.String(),
		"--report-dir=" + out,
	}
	if !provisioned {
		args = append(args, "--e2e-verify-service-account=false")
	}
	args = append(args, strings.Fields(os.Getenv(envArgs))...)
	logFile := filepath.Join(out, "e2e.log")
	t.Logf("running the selected specs of k8s.io/kubernetes %s test/e2e/apimachinery against %s (%d skipped as "+
		"not applicable); output in %s", kubecache.Kubernetes, target, len(plan.Skipped), logFile)
	start := time.Now()
	runErr := runE2E(t, bin, args, logFile)
	t.Logf("the e2e binary ran for %s (exit: %v)", time.Since(start).Round(time.Second), runErr)

	data, err := os.ReadFile(reportFile)
	if err != nil {
		t.Fatalf("no Ginkgo report (the e2e binary exited with %v); see %s: %v", runErr, logFile, err)
	}
	results, err := ParseGinkgoReport(data)
	if err != nil {
		t.Fatal(err)
	}
	return results
}

// report prints the pass/fail list, keeps it in out/summary.txt, and fails the test on every unexpected verdict.
func report(t *testing.T, plan *Plan, results map[string]Result, out, target string) {
	t.Helper()
	judged := Judge(plan, results)
	summary := Summary(plan, judged)
	if err := os.WriteFile(filepath.Join(out, "summary.txt"), []byte(summary), 0o644); err != nil {
		t.Error(err)
	}
	fmt.Println("\n==== conformance: k8s.io/kubernetes " + kubecache.Kubernetes + " test/e2e/apimachinery against " +
		target + " ====")
	fmt.Print(summary)
	for _, j := range judged {
		switch {
		case j.Verdict.Unexpected():
			t.Errorf("%s: %s\n%s", j.Verdict, j.Spec, j.Detail)
		case j.Verdict == FixedButListed:
			t.Logf("passes, so remove it from known-failing.txt (%s): %s", j.Detail, j.Spec)
		}
	}
}

// e2eBinary is the cached test binary of the api-machinery specs.
func e2eBinary(t *testing.T) string {
	t.Helper()
	dir, err := kubecache.E2EDir()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(kubecache.BinDir(dir), kubecache.E2EBinary)
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no e2e binary at %s: run make conformance (or go run ./test/kubecluster/build -e2e) first", bin)
	}
	return bin
}

// loadPlan checks skip.txt and known-failing.txt against the specs the binary holds and selects the specs to run.
func loadPlan(t *testing.T, bin string) *Plan {
	t.Helper()
	out, err := exec.Command(bin, "--list-tests").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --list-tests: %v\n%s", bin, err, out)
	}
	all := ParseListTests(string(out), kubecache.E2EModule+"/apimachinery/")
	if len(all) == 0 {
		t.Fatalf("%s --list-tests listed no spec:\n%s", bin, out)
	}
	all = append(all, NamespaceProvisioningCheck)
	var focus *regexp.Regexp
	if f := os.Getenv(envFocus); f != "" {
		if focus, err = regexp.Compile(f); err != nil {
			t.Fatalf("%s: %v", envFocus, err)
		}
	}
	plan, err := NewPlan(all, readList(t, "skip.txt"), readList(t, "known-failing.txt"), focus)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Run) == 0 {
		t.Fatalf("no spec selected (%s=%q)", envFocus, os.Getenv(envFocus))
	}
	return plan
}

func readList(t *testing.T, name string) []Entry {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	entries, err := ParseList(name, f)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// outDir is $GANTRY_CONFORMANCE_OUT, made if missing, or a temporary directory.
func outDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(envOut)
	if dir == "" {
		return t.TempDir()
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// workspaceKubeconfig writes a copy of the admin kubeconfig whose server is the workspace's URL.
func workspaceKubeconfig(t *testing.T, server *harness.Server, workspace, dir string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(server.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, cluster := range cfg.Clusters {
		cluster.Server = server.URL(workspace)
	}
	path := filepath.Join(dir, "workspace.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// provisionTimeout is how long namespaceProvisioning waits; the framework waits 2 minutes in each spec.
const provisionTimeout = time.Minute

// namespaceProvisioning does what upstream's framework does before each spec (--e2e-verify-service-account):
// it creates a namespace and waits for its default ServiceAccount and kube-root-ca.crt
// ConfigMap. It reports whether both came, and else what was missing.
func namespaceProvisioning(t *testing.T, client kubernetes.Interface) (bool, string) {
	t.Helper()
	ctx := context.Background()
	ns, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "conformance-provisioning-"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	defer func() { _ = client.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}) }()
	var missing []string
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, provisionTimeout, true, func(ctx context.Context) (bool, error) {
		missing = nil
		if _, err := client.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{}); err != nil {
			missing = append(missing, "ServiceAccount default ("+err.Error()+")")
		}
		if _, err := client.CoreV1().ConfigMaps(ns.Name).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{}); err != nil {
			missing = append(missing, "ConfigMap kube-root-ca.crt ("+err.Error()+")")
		}
		return len(missing) == 0, nil
	})
	if err == nil {
		return true, ""
	}
	failure := fmt.Sprintf("%s after %s in a new namespace; the specs run with --e2e-verify-service-account=false",
		strings.Join(missing, " and "), provisionTimeout)
	t.Logf("missing: %s", failure)
	return false, "missing: " + failure
}

// runE2E runs the e2e binary with its output in logFile; it is killed a little after the suite's own timeout.
func runE2E(t *testing.T, bin string, args []string, logFile string) error {
	t.Helper()
	log, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	ctx, cancel := context.WithTimeout(context.Background(), suiteTimeout+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = filepath.Dir(logFile)
	// The specs run kubectl, whose discovery cache must neither come from nor go to the user's home.
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	return cmd.Run()
}

func copyFile(t *testing.T, from, to string) {
	data, err := os.ReadFile(from)
	if err != nil {
		t.Logf("copying %s: %v", from, err)
		return
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Logf("copying %s: %v", from, err)
	}
}
