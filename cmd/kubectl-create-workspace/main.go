// Command kubectl-create-workspace is the `kubectl create workspace` plugin: it creates a Gantry workspace in the
// current one, waits until it is Ready, and can enter it.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

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
	var kubeconfig, contextName, wsType string
	var enter, ignoreExisting bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:           "kubectl create workspace NAME [--type TYPE] [--enter] [--ignore-existing]",
		Short:         "Create a Gantry workspace in the current workspace and wait until it is ready",
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := workspace.NewConfig(kubeconfig, contextName)
			current, err := c.Current()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if _, err := workspace.Create(context.Background(), c, current, args[0], wsType, ignoreExisting, timeout, out); err != nil {
				return err
			}
			if !enter {
				return nil
			}
			target := current.Join(args[0])
			if err := c.Move(target); err != nil {
				return err
			}
			fmt.Fprintf(out, "Current workspace is %q.\n", target)
			return nil
		},
	}
	cmd.Flags().StringVar(&wsType, "type", "", "WorkspaceType of the new workspace (default: the parent's default child type).")
	cmd.Flags().BoolVar(&enter, "enter", false, "Enter the new workspace once it is ready.")
	cmd.Flags().BoolVar(&ignoreExisting, "ignore-existing", false, "Succeed if the workspace exists already.")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "How long to wait for the workspace to be ready.")
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config).")
	cmd.Flags().StringVar(&contextName, "context", "", "The kubeconfig context to use and change (default: the current context).")
	return cmd
}
