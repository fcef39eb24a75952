package apiimport

import (
	"context"

	"github.com/spf13/cobra"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
)

// NewCommand returns `kubectl gantry import-apis`.
func NewCommand(f *plugin.Factory) *cobra.Command {
	var fromKubeconfig, export string
	cmd := &cobra.Command{
		Use:   "import-apis --from-kubeconfig FILE [--export NAME] RESOURCE.GROUP...",
		Short: "Offer a downstream cluster's workload APIs in the current workspace, as an APIExport teams can bind",
		Example: `  # in the compute workspace: offer the GPU cluster's Deployments, then let its SyncTarget run them
  kubectl gantry import-apis --from-kubeconfig gpu-eu.kubeconfig deployments.apps
  kubectl gantry sync gpu-eu --supported-api-export root:compute:kubernetes -o gpu-eu-syncer.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			cfg, err := clientcmd.BuildConfigFromFlags("", fromKubeconfig)
			if err != nil {
				return err
			}
			downstream, err := discovery.NewDiscoveryClientForConfig(cfg)
			if err != nil {
				return err
			}
			gantry, err := f.GantryClient()
			if err != nil {
				return err
			}
			_, err = Import(ctx, downstream, gantry, export, args, f.IOStreams.ErrOut)
			return err
		},
	}
	cmd.Flags().StringVar(&fromKubeconfig, "from-kubeconfig", "", "Kubeconfig of the downstream cluster whose APIs are offered.")
	cmd.Flags().StringVar(&export, "export", "kubernetes", "Name of the APIExport that offers them.")
	_ = cmd.MarkFlagRequired("from-kubeconfig")
	return cmd
}
