// Command kubectl-ws is the `kubectl ws` plugin: cd-like navigation between Gantry workspaces, by rewriting the
// server URL of the current kubeconfig context.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/gantry-dev/gantry/pkg/cli/workspace"
)

func main() {
	if err := newCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func newCommand() *cobra.Command {
	var kubeconfig, contextName string
	cmd := &cobra.Command{
		Use:   "kubectl ws [<path> | :<absolute path> | .. | - | . | tree]",
		Short: "Show or change the current Gantry workspace",
		Long: `Show or change the workspace of the current kubeconfig context.

  kubectl ws               print the current workspace (same as "kubectl ws .")
  kubectl ws team-a        enter the child workspace team-a
  kubectl ws root:ml       enter an absolute path (":root:ml" works too)
  kubectl ws ..            enter the parent workspace
  kubectl ws -             go back to the previous workspace
  kubectl ws tree          print the workspaces below the current one`,
		Args:          cobra.MaximumNArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := workspace.NewConfig(kubeconfig, contextName)
			current, err := c.Current()
			if err != nil {
				return err
			}
			arg := "."
			if len(args) == 1 {
				arg = args[0]
			}
			out := cmd.OutOrStdout()
			ctx := context.Background()
			var target = current
			switch arg {
			case ".":
				fmt.Fprintf(out, "Current workspace is %q.\n", current)
				return nil
			case "tree":
				return workspace.Tree(ctx, c, current, out)
			case "-":
				if target, err = c.Previous(); err != nil {
					return err
				}
			default:
				if target, err = workspace.Resolve(current, arg); err != nil {
					return err
				}
			}
			if err := workspace.CheckReachable(ctx, c, target); err != nil {
				return err
			}
			if err := c.Move(target); err != nil {
				return err
			}
			fmt.Fprintf(out, "Current workspace is %q.\n", target)
			return nil
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config).")
	cmd.Flags().StringVar(&contextName, "context", "", "The kubeconfig context to use and change (default: the current context).")
	return cmd
}
