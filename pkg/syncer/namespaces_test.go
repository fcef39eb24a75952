package syncer

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/validation"
)

func TestDownstreamNamespace(t *testing.T) {
	a := DownstreamNamespace("o79j9e1owzovb", "default")
	assert.Equal(t, a, DownstreamNamespace("o79j9e1owzovb", "default"), "stable")
	assert.NotEqual(t, a, DownstreamNamespace("1x2y3z4w5v6u7", "default"), "another workspace's default")
	assert.NotEqual(t, a, DownstreamNamespace("o79j9e1owzovb", "prod"))
	// No ambiguity from where the separator falls.
	assert.NotEqual(t, DownstreamNamespace("a", "b-c"), DownstreamNamespace("a-b", "c"))
	assert.Regexp(t, regexp.MustCompile(`^gantry-[0-9a-f]{16}$`), a)
	long := DownstreamNamespace(string(make([]byte, 300)), "a-very-long-namespace-name-that-is-sixty-three-characters-long-x")
	for _, name := range []string{a, long} {
		assert.Empty(t, validation.IsDNS1123Label(name), name)
	}
}

func TestLocators(t *testing.T) {
	ns := NamespaceLocator{Cluster: "c1", Namespace: "default", SyncTarget: TargetReference{Path: "root:compute", Name: "gpu"}}
	raw := encodeJSON(ns)
	assert.JSONEq(t, `{"cluster":"c1","namespace":"default","syncTarget":{"path":"root:compute","name":"gpu"}}`, raw, "readable")
	back, err := ParseNamespaceLocator(raw)
	require.NoError(t, err)
	assert.Equal(t, ns, back)

	obj := ObjectLocator{Cluster: "c1", Namespace: "default", Name: "w1"}
	parsed, err := ParseObjectLocator(encodeJSON(obj))
	require.NoError(t, err)
	assert.Equal(t, obj, parsed)
	for _, bad := range []string{"", "{", `{"cluster":"c1"}`, `{"name":"w1"}`} {
		_, err := ParseObjectLocator(bad)
		assert.Error(t, err, bad)
	}
}

func TestParseSyncTarget(t *testing.T) {
	path, name, err := ParseSyncTarget("root:compute/gpu")
	require.NoError(t, err)
	assert.Equal(t, "root:compute", path)
	assert.Equal(t, "gpu", name)
	for _, bad := range []string{"", "gpu", "root:compute/", "/gpu", "root:compute/gpu/x", "*/gpu", "root:Bad_Path/gpu"} {
		_, _, err := ParseSyncTarget(bad)
		assert.Error(t, err, bad)
	}
}
