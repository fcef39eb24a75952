// Package kubecache names the versions of the downstream test cluster's binaries and the cache directories they and
// the upstream api-machinery e2e test binary are built into. The builder (test/kubecluster/build) and their users
// (test/kubecluster, test/conformance) read it, so that they agree on where the binaries live.
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

// EnvE2ECache is the environment variable that overrides the e2e cache directory.
const EnvE2ECache = "GANTRY_E2E_CACHE"

// E2EBinary is the name, in the e2e cache's BinDir, of the test binary compiled from k8s.io/kubernetes's
// test/e2e/apimachinery specs (make conformance).
const E2EBinary = "apimachinery.test"

// E2EModule is the path of the throwaway module the e2e binary is built in; the specs are its package
// E2EModule+"/apimachinery", which is how the runner tells them from the specs of packages they import.
const E2EModule = "gantry.test/e2e"

// E2EDir returns the e2e cache directory: $GANTRY_E2E_CACHE, or ${XDG_CACHE_HOME:-$HOME/.cache}/gantry/e2e-<version>.
// It is apart from Dir so that building one never invalidates the other.
func E2EDir() (string, error) {
	if d := os.Getenv(EnvE2ECache); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: set %s or HOME: %w", EnvE2ECache, err)
	}
	return filepath.Join(base, "gantry", "e2e-"+Kubernetes), nil
}

// E2EComplete reports whether dir holds a finished e2e build whose stamp file says exactly stamp.
func E2EComplete(dir, stamp string) bool {
	b, err := os.ReadFile(filepath.Join(dir, StampFile))
	if err != nil || string(b) != stamp {
		return false
	}
	_, err = os.Stat(filepath.Join(BinDir(dir), E2EBinary))
	return err == nil
}
