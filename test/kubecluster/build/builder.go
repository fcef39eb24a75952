package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gantry-dev/gantry/test/internal/kubecache"
)

// builder writes throwaway modules under dir/src and builds into bin.
type builder struct {
	dir string
	bin string
}

// kubeCommands are the k8s.io/kubernetes packages built into the cache.
var kubeCommands = []string{
	"k8s.io/kubernetes/cmd/kube-apiserver",
	"k8s.io/kubernetes/cmd/kube-controller-manager",
	"k8s.io/kubernetes/cmd/kube-scheduler",
}

// kwokStages are kwok's own Stage files, relative to the module's kustomize/stage directory.
var kwokStages = []string{
	"node/fast/node-initialize.yaml",
	"node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
	"pod/fast/pod-ready.yaml",
	"pod/fast/pod-complete.yaml",
	"pod/fast/pod-delete.yaml",
}

// stagingReplace matches k8s.io/kubernetes's own replace directives for its staging modules.
var stagingReplace = regexp.MustCompile(`(?m)^\s*(k8s\.io/[^\s]+)\s+=>\s+\./staging/`)

func (b *builder) kubernetes() error {
	src := filepath.Join(b.dir, "src", "kubernetes")
	mod, err := b.download(src, "k8s.io/kubernetes@"+kubecache.Kubernetes)
	if err != nil {
		return err
	}
	gomod, err := b.kubernetesGoMod(mod, "gantry.test/kubebin")
	if err != nil {
		return err
	}
	var tools strings.Builder
	tools.WriteString("//go:build tools\n\npackage tools\n\nimport (\n")
	for _, c := range kubeCommands {
		fmt.Fprintf(&tools, "\t_ %q\n", c)
	}
	tools.WriteString(")\n")
	if err := writeFiles(src, map[string]string{"go.mod": gomod, "tools.go": tools.String()}); err != nil {
		return err
	}
	if err := b.goCmd(src, "mod", "tidy"); err != nil {
		return err
	}
	args := append([]string{"build", "-trimpath", "-ldflags", versionLDFlags(), "-o", b.bin + "/"}, kubeCommands...)
	return b.goCmd(src, args...)
}

// kubernetesGoMod returns the go.mod of a throwaway module that requires k8s.io/kubernetes (whose module is mod)
// and replaces each of its staging modules, which it names as ./staging directories, with the released Staging
// version.
func (b *builder) kubernetesGoMod(mod *module, path string) (string, error) {
	gomod, err := os.ReadFile(mod.GoMod)
	if err != nil {
		return "", err
	}
	var staging []string
	for _, m := range stagingReplace.FindAllStringSubmatch(string(gomod), -1) {
		staging = append(staging, m[1])
	}
	if len(staging) == 0 {
		return "", fmt.Errorf("no staging modules found in %s", mod.GoMod)
	}
	sort.Strings(staging)
	var f strings.Builder
	fmt.Fprintf(&f, "module %s\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n", path, kubecache.Kubernetes)
	for _, m := range staging {
		fmt.Fprintf(&f, "\t%s => %s %s\n", m, m, kubecache.Staging)
	}
	f.WriteString(")\n")
	return f.String(), nil
}

// versionLDFlags stamps a binary with Kubernetes' version, as its release builds are, and strips it.
func versionLDFlags() string {
	const v = "k8s.io/component-base/version"
	major, minor := versionParts(kubecache.Kubernetes)
	return fmt.Sprintf("-s -w -X %[1]s.gitVersion=%[2]s -X %[1]s.gitMajor=%[3]s -X %[1]s.gitMinor=%[4]s "+
		"-X %[1]s.gitTreeState=clean", v, kubecache.Kubernetes, major, minor)
}

func (b *builder) etcd() error {
	src := filepath.Join(b.dir, "src", "etcd")
	main := "package main\n\nimport (\n\t\"os\"\n\n\t\"go.etcd.io/etcd/server/v3/etcdmain\"\n)\n\n" +
		"func main() { etcdmain.Main(os.Args) }\n"
	err := writeFiles(src, map[string]string{
		"go.mod":  "module gantry.test/etcdbin\n\ngo 1.26.0\n",
		"main.go": main,
	})
	if err != nil {
		return err
	}
	if err := b.goCmd(src, "get", "go.etcd.io/etcd/server/v3@"+kubecache.Etcd); err != nil {
		return err
	}
	if err := b.goCmd(src, "mod", "tidy"); err != nil {
		return err
	}
	return b.goCmd(src, "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(b.bin, "etcd"), ".")
}

func (b *builder) kwok() error {
	src := filepath.Join(b.dir, "src", "kwok")
	mod, err := b.download(src, "sigs.k8s.io/kwok@"+kubecache.Kwok)
	if err != nil {
		return err
	}
	var stages bytes.Buffer
	for _, s := range kwokStages {
		y, err := os.ReadFile(filepath.Join(mod.Dir, "kustomize", "stage", s))
		if err != nil {
			return err
		}
		stages.WriteString("---\n")
		stages.Write(bytes.TrimPrefix(y, []byte("---\n")))
	}
	if err := os.WriteFile(filepath.Join(b.bin, kubecache.StagesFile), stages.Bytes(), 0o644); err != nil {
		return err
	}
	cmd := b.command(src, "install", "-trimpath", "-ldflags", "-s -w", "sigs.k8s.io/kwok/cmd/kwok@"+kubecache.Kwok)
	cmd.Env = append(cmd.Env, "GOBIN="+b.bin)
	return runCmd(cmd)
}

// module is what `go mod download -json` says about a module.
type module struct {
	Dir   string
	GoMod string
	Error string
}

// download fetches a module version into the module cache, from a directory outside any module.
func (b *builder) download(dir, modVersion string) (*module, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cmd := b.command(dir, "mod", "download", "-json", modVersion)
	cmd.Stdout = nil
	out, err := cmd.Output()
	var m module
	if jerr := json.Unmarshal(out, &m); jerr != nil || m.Error != "" || err != nil {
		return nil, fmt.Errorf("go mod download %s: %v %s %s", modVersion, err, m.Error, out)
	}
	return &m, nil
}

func (b *builder) command(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOWORK=off", "GO111MODULE=on")
	return cmd
}

func (b *builder) goCmd(dir string, args ...string) error {
	return runCmd(b.command(dir, args...))
}

func runCmd(cmd *exec.Cmd) error {
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s (in %s): %w", strings.Join(cmd.Args, " "), cmd.Dir, err)
	}
	return nil
}

func writeFiles(dir string, files map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// versionParts splits "v1.37.2" into "1" and "37".
func versionParts(v string) (major, minor string) {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	return parts[0], parts[1]
}
