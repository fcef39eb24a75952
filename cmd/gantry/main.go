package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"github.com/gantry-dev/gantry/pkg/server"
)

func main() {
	os.Exit(cli.Run(newRootCommand()))
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "gantry",
		Short: "Gantry: a control plane of many isolated Kubernetes-like workspaces for AI/ML platforms",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.AddCommand(newStartCommand())
	return root
}

func newStartCommand() *cobra.Command {
	o := server.NewOptions()
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start the Gantry server (embedded etcd unless --etcd-servers is given)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return fmt.Errorf("invalid flags: %w", err)
			}
			return server.Run(genericapiserver.SetupSignalContext(), o)
		},
	}
	o.AddFlags(cmd.Flags())
	return cmd
}
