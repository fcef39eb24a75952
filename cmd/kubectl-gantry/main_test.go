package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
)

// TestUsageLines: every command is named as users type it, with kubectl's flags.
func TestUsageLines(t *testing.T) {
	root := newCommand(plugin.NewFactory(genericiooptions.NewTestIOStreamsDiscard()))
	lines := map[string]string{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		lines[c.CommandPath()] = c.UseLine()
		assert.True(t, strings.HasPrefix(c.UseLine(), "kubectl gantry"), c.UseLine())
		takesServer := c.InheritedFlags().Lookup("server") != nil || c.PersistentFlags().Lookup("server") != nil
		assert.True(t, takesServer, "%s takes --server", c.CommandPath())
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	assert.Equal(t, "kubectl gantry bind apiexport <workspace path>:<export> [--name NAME] [flags]", lines["kubectl gantry bind apiexport"])
	assert.Equal(t, "kubectl gantry schema from-crd FILE [--prefix PREFIX] [flags]", lines["kubectl gantry schema from-crd"])
	assert.Equal(t, "kubectl gantry rollout undo isvc/NAME [--to-revision N] [flags]", lines["kubectl gantry rollout undo"])
	assert.Equal(t, "kubectl gantry rollout history isvc/NAME", lines["kubectl gantry rollout history"])
	assert.Equal(t, "kubectl gantry rollout status isvc/NAME [--timeout DURATION] [flags]", lines["kubectl gantry rollout status"])
}
