// Command build prepares the downstream test cluster's binaries in a cache directory outside the repository:
// kube-apiserver, kube-controller-manager and kube-scheduler from k8s.io/kubernetes, etcd from its server module,
// kwok, and kwok's Stage objects. It generates throwaway Go modules in the cache, so none of these dependencies enter
// Gantry's go.mod. A second run with a complete cache does nothing.
//
// Run it as `make kube-binaries` or `go run ./test/kubecluster/build`. GANTRY_KUBE_CACHE overrides the cache
// directory.
//
// With -e2e it builds instead, into a cache of its own (GANTRY_E2E_CACHE), the test binary of k8s.io/kubernetes's
// api-machinery e2e specs that make conformance runs against Gantry (docs/conformance.md), from the same
// k8s.io/kubernetes version in the same kind of throwaway module.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/gantry-dev/gantry/test/internal/kubecache"
)

func main() {
	e2e := flag.Bool("e2e", false, "build the api-machinery e2e test binary (make conformance) instead of the test cluster's binaries")
	flag.Parse()
	build := run
	if *e2e {
		build = runE2E
	}
	if err := build(); err != nil {
		fmt.Fprintln(os.Stderr, "kube-binaries:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := kubecache.Dir()
	if err != nil {
		return err
	}
	// Concurrent builds (two checkouts' make test at once) would compile the same thing twice in the same source
	// directory; the second waits for the first and then finds the cache complete.
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	if kubecache.Complete(dir) {
		fmt.Printf("kube-binaries: %s is up to date\n", kubecache.BinDir(dir))
		return nil
	}
	b, err := freshBuilder(dir)
	if err != nil {
		return err
	}
	start := time.Now()
	for _, step := range []struct {
		name string
		fn   func() error
	}{
		{"kubernetes " + kubecache.Kubernetes, b.kubernetes},
		{"etcd " + kubecache.Etcd, b.etcd},
		{"kwok " + kubecache.Kwok, b.kwok},
	} {
		t := time.Now()
		fmt.Printf("kube-binaries: building %s into %s\n", step.name, b.bin)
		if err := step.fn(); err != nil {
			return fmt.Errorf("%s: %w", step.name, err)
		}
		fmt.Printf("kube-binaries: %s done in %s\n", step.name, time.Since(t).Round(time.Second))
	}
	if err := os.WriteFile(filepath.Join(dir, kubecache.StampFile), []byte(kubecache.Stamp()), 0o644); err != nil {
		return err
	}
	fmt.Printf("kube-binaries: all built in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// runE2E builds the api-machinery e2e test binary into its cache, unless the cache already holds it.
func runE2E() error {
	dir, err := kubecache.E2EDir()
	if err != nil {
		return err
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	stamp := e2eStamp()
	bin := filepath.Join(kubecache.BinDir(dir), kubecache.E2EBinary)
	if kubecache.E2EComplete(dir, stamp) {
		fmt.Printf("kube-binaries: %s is up to date\n", bin)
		return nil
	}
	b, err := freshBuilder(dir)
	if err != nil {
		return err
	}
	start := time.Now()
	fmt.Printf("kube-binaries: building %s of k8s.io/kubernetes %s into %s\n", e2ePackage, kubecache.Kubernetes, bin)
	if err := b.e2e(); err != nil {
		return fmt.Errorf("e2e %s: %w", e2ePackage, err)
	}
	if err := os.WriteFile(filepath.Join(dir, kubecache.StampFile), []byte(stamp), 0o644); err != nil {
		return err
	}
	fmt.Printf("kube-binaries: %s built in %s\n", kubecache.E2EBinary, time.Since(start).Round(time.Second))
	return nil
}

// freshBuilder starts a build in the cache dir: refused inside the repository, its stamp removed first (so that a
// build cut short is never taken for complete), its bin folder made.
func freshBuilder(dir string) (*builder, error) {
	if err := refuseInsideRepo(dir); err != nil {
		return nil, err
	}
	if err := os.Remove(filepath.Join(dir, kubecache.StampFile)); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	b := &builder{dir: dir, bin: kubecache.BinDir(dir)}
	if err := os.MkdirAll(b.bin, 0o755); err != nil {
		return nil, err
	}
	return b, nil
}

// lockDir takes an exclusive lock on dir's lock file, waiting for another build to finish, and returns its release.
func lockDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		fmt.Printf("kube-binaries: another build holds %s; waiting for it\n", f.Name())
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
	}
	return func() { f.Close() }, nil
}

// refuseInsideRepo keeps generated modules out of Gantry's tree, where they would become nested modules.
func refuseInsideRepo(dir string) error {
	out, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return nil // not in a checkout: nothing to protect
	}
	root := strings.TrimSpace(string(out))
	if rel, err := filepath.Rel(root, dir); err == nil && !strings.HasPrefix(rel, "..") {
		return fmt.Errorf("cache directory %s is inside the repository %s; choose another %s", dir, root, kubecache.EnvCache)
	}
	return nil
}
