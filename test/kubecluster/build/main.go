// Command build prepares the downstream test cluster's binaries in a cache directory outside the repository:
// kube-apiserver, kube-controller-manager and kube-scheduler from k8s.io/kubernetes, etcd from its server module,
// kwok, and kwok's Stage objects. It generates throwaway Go modules in the cache, so none of these dependencies enter
// Gantry's go.mod. A second run with a complete cache does nothing.
//
// Run it as `make kube-binaries` or `go run ./test/kubecluster/build`. GANTRY_KUBE_CACHE overrides the cache
// directory.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gantry-dev/gantry/test/kubecluster/internal/kubecache"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kube-binaries:", err)
		os.Exit(1)
	}
}

func run() error {
	dir, err := kubecache.Dir()
	if err != nil {
		return err
	}
	if kubecache.Complete(dir) {
		fmt.Printf("kube-binaries: %s is up to date\n", kubecache.BinDir(dir))
		return nil
	}
	if err := refuseInsideRepo(dir); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, kubecache.StampFile)); err != nil && !os.IsNotExist(err) {
		return err
	}
	b := &builder{dir: dir, bin: kubecache.BinDir(dir)}
	if err := os.MkdirAll(b.bin, 0o755); err != nil {
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
