package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeGo(t *testing.T, dir, name, imports string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("package apimachinery\n\nimport (\n"+imports+")\n"), 0o444))
}

func TestCopySpecsLeavesOutSampleAPIServerImporters(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "apimachinery")
	writeGo(t, src, "watch.go", "\t\"context\"\n")
	writeGo(t, src, "aggregator.go", "\tsamplev1 \"k8s.io/sample-apiserver/pkg/apis/wardle/v1alpha1\"\n")
	writeGo(t, src, "protocol.go", "\t\"k8s.io/sample-apiserver\"\n")
	writeGo(t, src, "sample_apiserver_lookalike.go", "\t\"k8s.io/sample-apiserver-other/x\"\n")
	writeGo(t, src, "watch_test.go", "\t\"testing\"\n")

	left, err := copySpecs(src, dst)
	require.NoError(t, err)
	assert.Equal(t, []string{"aggregator.go", "protocol.go"}, left)
	entries, err := os.ReadDir(dst)
	require.NoError(t, err)
	var copied []string
	for _, e := range entries {
		copied = append(copied, e.Name())
		info, err := e.Info()
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), info.Mode().Perm(), "a copy is writable, so that a rebuild replaces it")
	}
	assert.Equal(t, []string{"sample_apiserver_lookalike.go", "watch.go"}, copied)
}

func TestCopySpecsRefusesAPackageWithNothingLeft(t *testing.T) {
	src := t.TempDir()
	writeGo(t, src, "aggregator.go", "\t\"k8s.io/sample-apiserver/pkg/cmd/server\"\n")
	writeGo(t, src, "aggregator_test.go", "\t\"testing\"\n")
	_, err := copySpecs(src, filepath.Join(t.TempDir(), "apimachinery"))
	assert.ErrorContains(t, err, "every file")
}

func TestE2EStampChangesWithTheSuite(t *testing.T) {
	before := e2eStamp()
	saved := e2eSuite
	t.Cleanup(func() { e2eSuite = saved })
	e2eSuite = append(append([]byte{}, saved...), '\n')
	assert.NotEqual(t, before, e2eStamp())
	assert.Contains(t, before, "kubernetes v1.37.2\n")
}
