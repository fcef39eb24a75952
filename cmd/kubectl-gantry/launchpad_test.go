package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
)

// TestLaunchpadAndFleetUsageLines: the serving launchpad and the fleet commands are on the root, named as users
// type them.
func TestLaunchpadAndFleetUsageLines(t *testing.T) {
	root := newCommand(plugin.NewFactory(genericiooptions.NewTestIOStreamsDiscard()))
	for args, want := range map[string]string{
		"launch":      "kubectl gantry launch MODEL[:VERSION] [--name NAME] [--gpus N] [--replicas N] [--runtime R] [--gpu-product P] [flags]",
		"models":      "kubectl gantry models [-n NAMESPACE | -A] [flags]",
		"health":      "kubectl gantry health isvc/NAME",
		"get targets": "kubectl gantry get targets [--location PATH] [flags]",
		"cordon":      "kubectl gantry cordon TARGET [--location PATH] [flags]",
		"uncordon":    "kubectl gantry uncordon TARGET [--location PATH] [flags]",
	} {
		cmd, _, err := root.Find(strings.Fields(args))
		require.NoError(t, err, args)
		assert.Equal(t, want, cmd.UseLine(), args)
	}
}
