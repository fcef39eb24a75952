// Command kubectl-ws is the `kubectl ws` plugin: cd-like navigation between Gantry workspaces, by rewriting the
// server URL of the current kubeconfig context (see package wsnav).
package main

import (
	"os"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/cli/wsnav"
)

func main() {
	f := plugin.NewFactory(plugin.StdStreams())
	os.Exit(plugin.Execute(plugin.NewRoot(f, "kubectl ws", wsnav.NewCommand(f)), f.IOStreams.ErrOut))
}
