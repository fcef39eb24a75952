package wscreate

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/cli/wsnav"
)

// NewCommand returns the `kubectl create workspace` command; make it a plugin's root with
// plugin.NewRoot(f, "kubectl create workspace", ...).
func NewCommand(f *plugin.Factory) *cobra.Command {
	o := Options{}
	var enter bool
	cmd := &cobra.Command{
		Use:   "workspace NAME [--type TYPE] [--enter] [--ignore-existing]",
		Short: "Create a Gantry workspace in the current workspace and wait until it is ready",
		Example: `  kubectl create workspace ml --enter
  kubectl create workspace team-a --type team -o yaml`,
		Args: cobra.ExactArgs(1),
	}
	printFlags := plugin.AddPrintFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		o.Name = args[0]
		return run(cmd.Context(), f, o, enter, printFlags)
	}
	cmd.Flags().StringVar(&o.Type, "type", "", "WorkspaceType of the new workspace (default: the parent's default child type).")
	cmd.Flags().BoolVar(&enter, "enter", false, "Enter the new workspace once it is ready.")
	cmd.Flags().BoolVar(&o.IgnoreExisting, "ignore-existing", false, "Succeed if the workspace exists already.")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", time.Minute, "How long to wait for the workspace to be ready.")
	return cmd
}

// run creates the workspace, enters it if asked, and prints it if -o asks.
func run(ctx context.Context, f *plugin.Factory, o Options, enter bool, printFlags *plugin.PrintFlags) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := printFlags.Validate(); err != nil {
		return err
	}
	parent, err := f.CurrentWorkspace()
	if err != nil {
		return err
	}
	client, err := f.GantryClient()
	if err != nil {
		return err
	}
	progress := printFlags.Progress(f.IOStreams.Out)
	ws, err := Create(ctx, client, parent, o, progress)
	if err != nil {
		return err
	}
	if enter {
		if err := wsnav.Enter(ctx, f, parent.Join(o.Name), progress); err != nil {
			return err
		}
	}
	if printFlags.Requested() {
		return printFlags.Print(ws, f.IOStreams.Out)
	}
	return nil
}
