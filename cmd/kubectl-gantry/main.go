// Command kubectl-gantry is the `kubectl gantry` plugin: `kubectl gantry bind apiexport <path>:<export>` binds an
// APIExport into the current workspace and waits until it is bound (package apibind); `kubectl gantry schema
// from-crd FILE` turns a CustomResourceDefinition into an APIResourceSchema (package resourceschema); `kubectl
// gantry sync NAME` registers a downstream cluster and prints the manifests of its syncer (package register);
// `kubectl gantry import-apis` offers a downstream cluster's workload APIs as an APIExport (package apiimport); `kubectl gantry rollout history|undo|status isvc/NAME` and `kubectl gantry promote
// model/NAME|isvc/NAME` work with the serving history (package serving). Every
// subcommand takes kubectl's flags (package plugin).
package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/pkg/cli/apibind"
	"github.com/gantry-dev/gantry/pkg/cli/apiimport"
	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/cli/register"
	"github.com/gantry-dev/gantry/pkg/cli/resourceschema"
	"github.com/gantry-dev/gantry/pkg/cli/serving"
	"github.com/gantry-dev/gantry/pkg/cli/targets"
)

func main() {
	f := plugin.NewFactory(plugin.StdStreams())
	os.Exit(plugin.Execute(newCommand(f), f.IOStreams.ErrOut))
}

// newCommand returns the root of `kubectl gantry` with every subcommand. Besides those the package comment names,
// `launch`, `models` and `health` serve models (package serving), and `get targets`, `cordon` and `uncordon` show
// and manage compute clusters (package targets).
func newCommand(f *plugin.Factory) *cobra.Command {
	root := plugin.NewRoot(f, "kubectl gantry", &cobra.Command{
		Use:   "gantry",
		Short: "Work with Gantry APIs: bind exports, make schemas, register clusters",
		Example: `  kubectl gantry bind apiexport root:provider:widgets
  kubectl gantry schema from-crd widgets-crd.yaml --prefix v1
  kubectl gantry sync gpu-eu --supported-api-export root:provider:widgets -o gpu-eu-syncer.yaml
  kubectl gantry launch llama-8b:v1 --gpus 1
  kubectl gantry get targets --location root:compute`,
	})
	root.AddCommand(apibind.NewCommand(f), resourceschema.NewCommand(f), register.NewCommand(f), apiimport.NewCommand(f))
	root.AddCommand(serving.NewLaunchCommand(f), serving.NewModelsCommand(f), serving.NewHealthCommand(f),
		serving.NewRolloutCommand(f), serving.NewPromoteCommand(f))
	root.AddCommand(targets.NewGetCommand(f), targets.NewCordonCommand(f), targets.NewUncordonCommand(f),
		targets.NewDrainCommand(f))
	return root
}
