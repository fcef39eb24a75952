package targets

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	gantryclient "github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// drainPollInterval is how often drain reads the target's Placement counts.
const drainPollInterval = time.Second

// NewDrainCommand returns `kubectl gantry drain TARGET`.
func NewDrainCommand(f *plugin.Factory) *cobra.Command {
	var location string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "drain TARGET [--location PATH] [--timeout DURATION]",
		Short: "Cordon a SyncTarget and wait until every Placement has moved off it",
		Long: "Cordon a SyncTarget (spec.unschedulable) and wait until no Placement runs objects on it, printing the " +
			"progress. While the target is Ready, each Placement keeps its copies there until every one of its objects " +
			"is Ready on the targets that replace it, so serving capacity never drops during the move; a Placement " +
			"that nothing else fits keeps its copies there. Only the target's owner may drain it.",
		Example: "  kubectl gantry drain gpu-eu --location root:compute --timeout 10m",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDrain(contextOf(cmd), f, location, args[0], timeout)
		},
	}
	addLocationFlag(cmd, &location)
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "How long to wait for the Placements to move (0: until they have).")
	return cmd
}

// runDrain cordons the target, then follows its status.placements until none is left.
func runDrain(ctx context.Context, f *plugin.Factory, location, name string, timeout time.Duration) error {
	path, client, err := locationClient(f, location)
	if err != nil {
		return err
	}
	if err := setUnschedulable(ctx, f, path, client, name, true); err != nil {
		return err
	}
	// The timeout bounds the polling, not each read: a read cut short by the deadline (client-go's rate limiter
	// refuses to wait past it) would otherwise be reported instead of what is left on the target.
	pollCtx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		pollCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	var last drainProgress
	var lastErr error
	err = wait.PollUntilContextCancel(pollCtx, drainPollInterval, true, func(context.Context) (bool, error) {
		progress, err := readDrainProgress(ctx, client, name)
		if err != nil {
			lastErr = err
			return false, nil // a passing error (a server restart); the timeout bounds it
		}
		if progress != last || lastErr != nil {
			fmt.Fprintf(f.IOStreams.Out, "%s\n", progress.describe(name))
		}
		last, lastErr = progress, nil
		return progress.Total == 0, nil
	})
	if err != nil {
		if lastErr != nil {
			return fmt.Errorf("drain of synctarget %q in %s not finished after %s: %w", name, path, timeout, lastErr)
		}
		return fmt.Errorf("drain of synctarget %q in %s not finished after %s: %s; it stays cordoned", name, path, timeout, last.describe(name))
	}
	fmt.Fprintf(f.IOStreams.Out, "synctarget.compute.gantry.dev/%s drained\n", name)
	return nil
}

// drainProgress is what a drain waits on: the target's Placement counts and whether it is Ready.
type drainProgress struct {
	computev1alpha1.PlacementCount
	ready bool
}

func readDrainProgress(ctx context.Context, client gantryclient.Interface, name string) (drainProgress, error) {
	t, err := client.ComputeV1alpha1().SyncTargets().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return drainProgress{}, err
	}
	ready := meta.FindStatusCondition(t.Status.Conditions, "Ready")
	p := drainProgress{ready: ready != nil && ready.Status == metav1.ConditionTrue}
	if t.Status.Placements != nil {
		p.PlacementCount = *t.Status.Placements
	}
	return p, nil
}

// describe is one line of progress.
func (p drainProgress) describe(name string) string {
	if p.Total == 0 {
		line := fmt.Sprintf("%s: no Placement runs objects here", name)
		if !p.ready {
			line += " (not Ready: its syncer removes the old copies when it reports again)"
		}
		return line
	}
	return fmt.Sprintf("%s: %d Placement(s) still run objects here, %d of them waiting for their replacements to be Ready",
		name, p.Total, p.Draining)
}
