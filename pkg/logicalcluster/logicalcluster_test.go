package logicalcluster

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseReference(t *testing.T) {
	valid := map[string]Reference{
		"root":        {Path: "root"},
		"root:a":      {Path: "root:a"},
		"root:a-1:b":  {Path: "root:a-1:b"},
		"*":           {Name: Wildcard},
		"k3x9a0b1c2d": {Name: "k3x9a0b1c2d"},
	}
	for in, want := range valid {
		got, err := ParseReference(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	invalid := []string{
		"", "Root", "root:A", "root::a", "root:", ":root", "..", "root:..", "root/a", "root%2Fa", "a:b",
		"root:-a", "root:a-", "ab_c", "root:" + strings.Repeat("a", 64), strings.Repeat("a", 200), "root:é",
		"**", "root:*", "root:a b", strings.Repeat("root:", 20) + "a",
	}
	for _, in := range invalid {
		_, err := ParseReference(in)
		assert.Error(t, err, "%q must be refused", in)
	}
}

func TestPath(t *testing.T) {
	p := RootPath.Join("ml").Join("team-a")
	assert.Equal(t, Path("root:ml:team-a"), p)
	assert.Equal(t, "team-a", p.Base())
	parent, ok := p.Parent()
	assert.True(t, ok)
	assert.Equal(t, Path("root:ml"), parent)
	_, ok = RootPath.Parent()
	assert.False(t, ok)
	assert.Equal(t, "root", RootPath.Base())
}

func TestNewNameIsValidAndUnique(t *testing.T) {
	seen := map[Name]bool{}
	for i := 0; i < 1000; i++ {
		n := NewName()
		require.NoError(t, ValidateName(string(n)))
		ref, err := ParseReference(string(n))
		require.NoError(t, err)
		require.Equal(t, n, ref.Name, "a generated name must parse as a cluster name, not a path")
		require.False(t, seen[n])
		seen[n] = true
	}
}

func TestContext(t *testing.T) {
	_, ok := From(context.Background())
	assert.False(t, ok)
	n, ok := From(WithCluster(context.Background(), "abc"))
	assert.True(t, ok)
	assert.Equal(t, Name("abc"), n)
}
