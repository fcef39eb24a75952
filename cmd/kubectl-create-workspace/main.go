// Command kubectl-create-workspace is the `kubectl create workspace` plugin: it creates a Gantry workspace in the
// current one, waits until it is Ready, and can enter it (see package wscreate).
package main

import (
	"os"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/cli/wscreate"
)

func main() {
	f := plugin.NewFactory(plugin.StdStreams())
	os.Exit(plugin.Execute(plugin.NewRoot(f, "kubectl create workspace", wscreate.NewCommand(f)), f.IOStreams.ErrOut))
}
