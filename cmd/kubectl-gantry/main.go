// Command kubectl-gantry is the `kubectl gantry` plugin: `kubectl gantry bind apiexport <path>:<export>` binds an
// APIExport into the current workspace and waits until it is bound; `kubectl gantry schema from-crd FILE` turns a
// CustomResourceDefinition into an APIResourceSchema.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/pkg/cli/gantry"
	"github.com/gantry-dev/gantry/pkg/cli/workspace"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

func main() {
	if err := newCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func newCommand() *cobra.Command {
	var kubeconfig, contextName string
	root := &cobra.Command{
		Use:           "kubectl gantry",
		Short:         "Work with Gantry APIs: bind exports, make schemas",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&kubeconfig, "kubeconfig", "", "Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config).")
	root.PersistentFlags().StringVar(&contextName, "context", "", "The kubeconfig context to use (default: the current context).")

	var name string
	var timeout time.Duration
	bind := &cobra.Command{Use: "bind", Short: "Bind an API into the current workspace"}
	bindExport := &cobra.Command{
		Use:   "apiexport <workspace path>:<export> [--name NAME]",
		Short: "Create an APIBinding of an APIExport in the current workspace and wait until it is bound",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := workspace.NewConfig(kubeconfig, contextName)
			current, err := c.Current()
			if err != nil {
				return err
			}
			cfg, err := c.RESTConfig(current)
			if err != nil {
				return err
			}
			client, err := versioned.NewForConfig(cfg)
			if err != nil {
				return err
			}
			return gantry.Bind(context.Background(), client, args[0], name, timeout, cmd.OutOrStdout())
		},
	}
	bindExport.Flags().StringVar(&name, "name", "", "Name of the APIBinding (default: the export's name).")
	bindExport.Flags().DurationVar(&timeout, "timeout", time.Minute, "How long to wait for the binding to be bound.")
	bind.AddCommand(bindExport)

	var prefix string
	schema := &cobra.Command{Use: "schema", Short: "Make APIResourceSchemas"}
	fromCRD := &cobra.Command{
		Use:   "from-crd FILE [--prefix PREFIX]",
		Short: "Print the APIResourceSchema <prefix>.<plural>.<group> of a CustomResourceDefinition (FILE - reads stdin)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = cmd.InOrStdin()
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			return gantry.SchemaFromCRD(in, prefix, cmd.OutOrStdout())
		},
	}
	fromCRD.Flags().StringVar(&prefix, "prefix", "v"+time.Now().UTC().Format("060102"), "Name prefix; schemas are immutable, so a changed CRD needs a new prefix.")
	schema.AddCommand(fromCRD)

	root.AddCommand(bind, schema)
	return root
}
