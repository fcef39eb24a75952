package wsnav

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// NewCommand returns the `kubectl ws` command; make it a plugin's root with plugin.NewRoot(f, "kubectl ws", ...).
func NewCommand(f *plugin.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "ws [<path> | :<absolute path> | .. | - | . | tree]",
		Short: "Show or change the current Gantry workspace",
		Long: `Show or change the workspace of the current kubeconfig context.

  kubectl ws               print the current workspace (same as "kubectl ws .")
  kubectl ws team-a        enter the child workspace team-a
  kubectl ws root:ml       enter an absolute path (":root:ml" works too)
  kubectl ws ..            enter the parent workspace
  kubectl ws -             go back to the previous workspace
  kubectl ws tree          print the workspaces below the current one

Moving rewrites the server URL of the kubeconfig context in use. --server, --token and the other kubectl flags
apply to this invocation only: with --server, paths are relative to its workspace, and a move writes that
server's workspace into the kubeconfig.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			arg := "."
			if len(args) == 1 {
				arg = args[0]
			}
			return run(cmd.Context(), f, arg, f.IOStreams.Out)
		},
	}
}

// run carries out `kubectl ws arg`.
func run(ctx context.Context, f *plugin.Factory, arg string, out io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	k := NewKubeconfig(f)
	current, err := k.Current()
	if err != nil {
		return err
	}
	var target logicalcluster.Path
	switch arg {
	case ".":
		fmt.Fprintf(out, "Current workspace is %q.\n", current)
		return nil
	case "tree":
		return Tree(ctx, f.GantryClientFor, current, out)
	case "-":
		target, err = k.Previous()
	default:
		target, err = Resolve(current, arg)
	}
	if err != nil {
		return err
	}
	return Enter(ctx, f, target, out)
}

// Enter moves the kubeconfig to workspace ws if the user can enter it, and says so on out.
func Enter(ctx context.Context, f *plugin.Factory, ws logicalcluster.Path, out io.Writer) error {
	cfg, err := f.RESTConfigFor(ws)
	if err != nil {
		return err
	}
	if err := CheckReachable(ctx, cfg, ws); err != nil {
		return err
	}
	if err := NewKubeconfig(f).Move(ws); err != nil {
		return err
	}
	fmt.Fprintf(out, "Current workspace is %q.\n", ws)
	return nil
}
