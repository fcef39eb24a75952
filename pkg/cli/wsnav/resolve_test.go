package wsnav

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func TestResolve(t *testing.T) {
	current := logicalcluster.Path("root:org:team-a")
	for arg, want := range map[string]string{
		"..":          "root:org",
		"sub":         "root:org:team-a:sub",
		"sub:deeper":  "root:org:team-a:sub:deeper",
		":root:other": "root:other",
		"root":        "root",
		"root:x":      "root:x",
		"..:team-b":   "root:org:team-b",
	} {
		got, err := Resolve(current, arg)
		require.NoError(t, err, arg)
		assert.Equal(t, logicalcluster.Path(want), got, arg)
	}
	for _, arg := range []string{"Team", "a/b", ":", "::root", "..:..:..:..", "x:", ":root:.."} {
		_, err := Resolve(current, arg)
		assert.Error(t, err, arg)
	}
	_, err := Resolve("root", "..")
	assert.Error(t, err)
}
