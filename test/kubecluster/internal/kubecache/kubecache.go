// Package kubecache names the versions of the downstream test cluster's binaries and the cache directory they are
// built into. Both the builder (test/kubecluster/build) and the test package (test/kubecluster) read it, so that
// they agree on where the binaries live.
package kubecache

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Versions of what the test cluster runs. Changing one of them selects (and builds) a fresh cache.
const (
	// Kubernetes is the k8s.io/kubernetes version of kube-apiserver, kube-controller-manager and kube-scheduler.
	Kubernetes = "v1.37.2"
	// Staging is the version every k8s.io staging module (k8s.io/api, k8s.io/client-go, ...) is replaced with.
	Staging = "v0.37.2"
	// Etcd is the go.etcd.io/etcd/server/v3 version of the etcd binary.
	Etcd = "v3.7.0"
	// Kwok is the sigs.k8s.io/kwok version that plays the kubelets.
	Kwok = "v0.8.0"
)

// EnvCache is the environment variable that overrides the cache directory.
const EnvCache = "GANTRY_KUBE_CACHE"

// Binaries lists the executables the builder puts into BinDir.
var Binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"}

// StagesFile is the name, in BinDir, of the kwok Stage objects that make fake nodes and pods come alive.
const StagesFile = "kwok-stages.yaml"

// StampFile is the name, in Dir, of the file the builder writes last; it records Stamp().
const StampFile = "stamp"

// Dir returns the cache directory: $GANTRY_KUBE_CACHE, or ${XDG_CACHE_HOME:-$HOME/.cache}/gantry/kube-<version>.
func Dir() (string, error) {
	if d := os.Getenv(EnvCache); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: set %s or HOME: %w", EnvCache, err)
	}
	return filepath.Join(base, "gantry", "kube-"+Kubernetes), nil
}

// BinDir returns the directory holding the binaries and the stages file.
func BinDir(dir string) string { return filepath.Join(dir, "bin") }

// Stamp describes every version the cache was built from, one per line.
func Stamp() string {
	return strings.Join([]string{
		"kubernetes " + Kubernetes, "staging " + Staging, "etcd " + Etcd, "kwok " + Kwok,
	}, "\n") + "\n"
}

// Complete reports whether dir holds a finished build of exactly these versions.
func Complete(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, StampFile))
	if err != nil || string(b) != Stamp() {
		return false
	}
	for _, name := range append(Binaries[:len(Binaries):len(Binaries)], StagesFile) {
		if _, err := os.Stat(filepath.Join(BinDir(dir), name)); err != nil {
			return false
		}
	}
	return true
}
