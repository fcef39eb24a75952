// Package plugin is the skeleton every Gantry kubectl plugin (`kubectl gantry`, `kubectl ws`, `kubectl create
// workspace`) is built on. It owns what all of them share: the root cobra command with kubectl's standard client
// flags (k8s.io/cli-runtime ConfigFlags: --kubeconfig, --context, --server, --token, --as, -n, ...), the I/O
// streams, the -o printer flags, clients for the workspace the flags point at, and kubectl-style error output.
// A subcommand is then a small file that takes a *Factory and returns a *cobra.Command.
package plugin

import (
	"os"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// Factory gives a plugin's commands their streams, flags and clients. Build it with NewFactory, hand it to
// NewRoot, and read clients from it only once the flags are parsed (inside RunE).
type Factory struct {
	// ConfigFlags are kubectl's client flags, registered on the root command and inherited by every subcommand.
	ConfigFlags *genericclioptions.ConfigFlags
	// IOStreams are where commands read and write; tests hand in buffers.
	IOStreams genericiooptions.IOStreams
}

// NewFactory returns a Factory for streams with kubectl's client flags at their defaults.
func NewFactory(streams genericiooptions.IOStreams) *Factory {
	return &Factory{ConfigFlags: genericclioptions.NewConfigFlags(true), IOStreams: streams}
}

// StdStreams returns the process's standard input, output and error.
func StdStreams() genericiooptions.IOStreams {
	return genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
}

// NewRoot makes cmd the root command of a plugin that users call as displayName (for example "kubectl gantry", or
// "kubectl create workspace" for a cmd whose Use is "workspace NAME"). Help and usage lines then read as kubectl
// shows them, every kubectl client flag is accepted, and errors are left to Execute to print.
func NewRoot(f *Factory, displayName string, cmd *cobra.Command) *cobra.Command {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[cobra.CommandDisplayNameAnnotation] = displayName
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.CompletionOptions.DisableDefaultCmd = true
	cmd.SetIn(f.IOStreams.In)
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	f.ConfigFlags.AddFlags(cmd.PersistentFlags())
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError{cmd: c, err: err} })
	return cmd
}
