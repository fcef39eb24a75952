package targets

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	gantryclient "github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// NewCordonCommand returns `kubectl gantry cordon TARGET`.
func NewCordonCommand(f *plugin.Factory) *cobra.Command {
	return newSchedulableCommand(f, true)
}

// NewUncordonCommand returns `kubectl gantry uncordon TARGET`.
func NewUncordonCommand(f *plugin.Factory) *cobra.Command {
	return newSchedulableCommand(f, false)
}

// newSchedulableCommand returns cordon (unschedulable true) or uncordon (false).
func newSchedulableCommand(f *plugin.Factory, unschedulable bool) *cobra.Command {
	verb, short := "cordon", "Mark a SyncTarget unschedulable: Placements stop choosing it and move off it"
	if !unschedulable {
		verb, short = "uncordon", "Mark a SyncTarget schedulable again"
	}
	var location string
	cmd := &cobra.Command{
		Use:     verb + " TARGET [--location PATH]",
		Short:   short,
		Long:    short + ". Only a user who may update the SyncTarget (its owner) may; the verb \"use\" is not enough.",
		Example: "  kubectl gantry " + verb + " gpu-eu --location root:compute",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, client, err := locationClient(f, location)
			if err != nil {
				return err
			}
			return setUnschedulable(contextOf(cmd), f, path, client, args[0], unschedulable)
		},
	}
	addLocationFlag(cmd, &location)
	return cmd
}

// setUnschedulable sets or clears spec.unschedulable of the target name of the workspace path with a merge patch,
// so that nothing else of the spec is touched, and says what it did.
func setUnschedulable(ctx context.Context, f *plugin.Factory, path logicalcluster.Path, client gantryclient.Interface, name string, unschedulable bool) error {
	patch, done := `{"spec":{"unschedulable":true}}`, "cordoned"
	if !unschedulable {
		patch, done = `{"spec":{"unschedulable":null}}`, "uncordoned"
	}
	if _, err := client.ComputeV1alpha1().SyncTargets().Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		return err // a 403 for a user who may only use the target, or a 404, as the server says it
	}
	fmt.Fprintf(f.IOStreams.Out, "synctarget.compute.gantry.dev/%s %s in %s\n", name, done, path)
	return nil
}
