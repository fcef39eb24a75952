package apibind

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
)

// NewCommand returns `kubectl gantry bind` with its subcommand `apiexport`.
func NewCommand(f *plugin.Factory) *cobra.Command {
	bind := &cobra.Command{Use: "bind", Short: "Bind an API into the current workspace"}
	bind.AddCommand(newAPIExportCommand(f))
	return bind
}

// newAPIExportCommand returns `kubectl gantry bind apiexport`.
func newAPIExportCommand(f *plugin.Factory) *cobra.Command {
	var name string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "apiexport <workspace path>:<export> [--name NAME]",
		Short: "Create an APIBinding of an APIExport in the current workspace and wait until it is bound",
		Example: `  kubectl gantry bind apiexport root:provider:widgets
  kubectl gantry bind apiexport root:provider:widgets --name w -o yaml
  kubectl gantry bind apiexport root:provider:widgets --server https://HOST/clusters/root:org:team-a --token TOKEN`,
		Args: cobra.ExactArgs(1),
	}
	printFlags := plugin.AddPrintFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return runAPIExport(cmd.Context(), f, args[0], name, timeout, printFlags)
	}
	cmd.Flags().StringVar(&name, "name", "", "Name of the APIBinding (default: the export's name).")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "How long to wait for the binding to be bound.")
	return cmd
}

// runAPIExport binds the export ref and prints the binding if -o asks.
func runAPIExport(ctx context.Context, f *plugin.Factory, ref, name string, timeout time.Duration, printFlags *plugin.PrintFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := printFlags.Validate(); err != nil {
		return err
	}
	client, err := f.GantryClient()
	if err != nil {
		return err
	}
	progress := printFlags.Progress(f.IOStreams.Out)
	binding, err := Bind(ctx, client, ref, name, timeout, progress)
	if err != nil || !printFlags.Requested() {
		return err
	}
	return printFlags.Print(binding, f.IOStreams.Out)
}
