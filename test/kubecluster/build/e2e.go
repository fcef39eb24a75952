package main

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gantry-dev/gantry/test/internal/kubecache"
)

// e2eSuite is the Ginkgo suite that runs the copied specs: a TestMain and the suite setup without nodes and pods.
//
//go:embed e2esuite/suite_test.go
var e2eSuite []byte

// e2ePackage is the directory, inside k8s.io/kubernetes, of the specs make conformance runs.
const e2ePackage = "test/e2e/apimachinery"

// unfetchableImport is a module the Go module proxy refuses to serve (k8s.io/kubernetes replaces it with a
// directory of its own tree); the spec files that import it are left out of the copy.
const unfetchableImport = "k8s.io/sample-apiserver"

// e2eStamp records what the e2e binary was built from: the versions and the suite file, so that editing the
// suite rebuilds it.
func e2eStamp() string {
	return fmt.Sprintf("kubernetes %s\nstaging %s\npackage %s\nsuite %x\n",
		kubecache.Kubernetes, kubecache.Staging, e2ePackage, sha256.Sum256(e2eSuite))
}

// e2e writes a throwaway module holding a copy of the api-machinery specs and the suite, and compiles them into
// one test binary, with the same module versions, replace directives and flags as the test cluster's binaries.
func (b *builder) e2e() error {
	src := filepath.Join(b.dir, "src")
	mod, err := b.download(src, "k8s.io/kubernetes@"+kubecache.Kubernetes)
	if err != nil {
		return err
	}
	gomod, err := b.kubernetesGoMod(mod, kubecache.E2EModule)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(src, "apimachinery")); err != nil {
		return err
	}
	left, err := copySpecs(filepath.Join(mod.Dir, e2ePackage), filepath.Join(src, "apimachinery"))
	if err != nil {
		return err
	}
	fmt.Printf("kube-binaries: left out of %s (they import %s): %s\n", e2ePackage, unfetchableImport,
		strings.Join(left, ", "))
	// The suite's build constraint keeps it out of Gantry's own builds; in the throwaway module it is compiled.
	suite, ok := bytes.CutPrefix(e2eSuite, []byte("//go:build ignore\n"))
	if !ok {
		return fmt.Errorf("e2esuite/suite_test.go does not start with //go:build ignore")
	}
	if err := writeFiles(src, map[string]string{"go.mod": gomod, "suite_test.go": string(suite)}); err != nil {
		return err
	}
	if err := b.goCmd(src, "mod", "tidy"); err != nil {
		return err
	}
	args := []string{"test", "-c", "-trimpath", "-ldflags", versionLDFlags(),
		"-o", filepath.Join(b.bin, kubecache.E2EBinary), "."}
	return b.goCmd(src, args...)
}

// copySpecs copies the non-test Go files of dir into dst, except those importing unfetchableImport, which it
// returns.
func copySpecs(dir, dst string) (leftOut []string, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, err
	}
	copied := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), file, text, parser.ImportsOnly)
		if err != nil {
			return nil, err
		}
		skip := false
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == unfetchableImport || strings.HasPrefix(path, unfetchableImport+"/") {
				skip = true
			}
		}
		if skip {
			leftOut = append(leftOut, filepath.Base(file))
			continue
		}
		// The module cache's files are read-only; the copies are not, so that a rebuild can replace them.
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(file)), text, 0o644); err != nil {
			return nil, err
		}
		copied++
	}
	if copied == 0 {
		return nil, fmt.Errorf("every file of %s imports %s", dir, unfetchableImport)
	}
	return leftOut, nil
}
