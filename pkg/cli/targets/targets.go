// Package targets owns the `kubectl gantry` commands about compute clusters as a user sees them: `get targets`, the
// SyncTargets of a location workspace that the user may use with their readiness, region, GPUs and heartbeat, and
// `cordon`/`uncordon`, which let a target's owner stop and resume placing onto it.
package targets

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	gantryclient "github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// RegionLabels are the labels a target's region is read from, the first set one winning.
var RegionLabels = []string{"topology.gantry.dev/region", "region"}

// NewGetCommand returns `kubectl gantry get` with its subcommand `targets`.
func NewGetCommand(f *plugin.Factory) *cobra.Command {
	get := &cobra.Command{Use: "get", Short: "Show Gantry views that plain kubectl get cannot"}
	var location string
	targets := &cobra.Command{
		Use:     "targets [--location PATH]",
		Aliases: []string{"target", "synctargets"},
		Short:   "List the compute clusters (SyncTargets) you may use, with readiness, region and free GPUs",
		Long: `List the SyncTargets of a location workspace (default: the current workspace) that you may use, that is
that a Placement of yours may choose (the verb "use" on synctargets there). Listing needs the verb "list" on
synctargets in that workspace.`,
		Example: `  kubectl gantry get targets --location root:compute`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runGetTargets(contextOf(cmd), f, location)
		},
	}
	addLocationFlag(targets, &location)
	get.AddCommand(targets)
	return get
}

// contextOf returns the command's context, or a background one when it is run without (in tests).
func contextOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// addLocationFlag registers --location on cmd.
func addLocationFlag(cmd *cobra.Command, location *string) {
	cmd.Flags().StringVar(location, "location", "", "Workspace path of the SyncTargets (default: the current workspace).")
}

// locationPath is the location workspace: --location, else the current workspace.
func locationPath(f *plugin.Factory, location string) (logicalcluster.Path, error) {
	if location == "" {
		return f.CurrentWorkspace()
	}
	path, err := logicalcluster.ParsePath(location)
	if err != nil {
		return "", fmt.Errorf("--location %q is not a workspace path: %v", location, err)
	}
	return path, nil
}

// locationClient resolves the location workspace (locationPath) and returns a Gantry client of it.
func locationClient(f *plugin.Factory, location string) (logicalcluster.Path, gantryclient.Interface, error) {
	path, err := locationPath(f, location)
	if err != nil {
		return "", nil, err
	}
	client, err := f.GantryClientFor(path)
	return path, client, err
}

// runGetTargets lists the location's targets, keeps those the user may use and prints them.
func runGetTargets(ctx context.Context, f *plugin.Factory, location string) error {
	path, client, err := locationClient(f, location)
	if err != nil {
		return err
	}
	cfg, err := f.RESTConfigFor(path)
	if err != nil {
		return err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	list, err := client.ComputeV1alpha1().SyncTargets().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err // a 403 without "list" is the server's, shown as kubectl shows it
	}
	var usable []computev1alpha1.SyncTarget
	for _, target := range list.Items {
		allowed, err := mayUse(ctx, kube, target.Name)
		if err != nil {
			return fmt.Errorf("checking whether you may use synctarget %q in %s: %w", target.Name, path, err)
		}
		if allowed {
			usable = append(usable, target)
		}
	}
	if len(usable) == 0 {
		fmt.Fprintf(f.IOStreams.ErrOut, "No SyncTargets in %s that you may use.\n", path)
		return nil
	}
	return TargetsTable(f.IOStreams.Out, usable, time.Now())
}

// mayUse asks the server, with a SelfSubjectAccessReview in the location workspace, whether the user has the verb
// "use" on the target: the check Placement admission makes.
func mayUse(ctx context.Context, kube kubernetes.Interface, target string) (bool, error) {
	review, err := kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
		Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
			Group: computev1alpha1.SchemeGroupVersion.Group, Resource: "synctargets", Name: target, Verb: computev1alpha1.UseVerb,
		}},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return review.Status.Allowed, nil
}

// TargetsTable prints one line per target, sorted by name: name, readiness, region, GPU products, GPUs free/total
// and the heartbeat's age at now.
func TargetsTable(out io.Writer, targets []computev1alpha1.SyncTarget, now time.Time) error {
	sorted := append([]computev1alpha1.SyncTarget(nil), targets...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	table := plugin.NewTable(out, "NAME", "READY", "REGION", "GPU", "GPUS FREE/TOTAL", "HEARTBEAT")
	for i := range sorted {
		t := &sorted[i]
		heartbeat := "<never>"
		if t.Status.LastHeartbeatTime != nil {
			heartbeat = plugin.Age(t.Status.LastHeartbeatTime.Time, now)
		}
		free, total := gpuCounts(t)
		table.Row(t.Name, readiness(t), region(t), gpuProducts(t), fmt.Sprintf("%d/%d", free, total), heartbeat)
	}
	return table.Flush()
}

// readiness shows the Ready condition as Ready, NotReady or Unknown, with ",SchedulingDisabled" when the target is
// cordoned, as kubectl get nodes does.
func readiness(t *computev1alpha1.SyncTarget) string {
	s := "Unknown"
	if c := meta.FindStatusCondition(t.Status.Conditions, "Ready"); c != nil {
		switch c.Status {
		case metav1.ConditionTrue:
			s = "Ready"
		case metav1.ConditionFalse:
			s = "NotReady"
		}
	}
	if t.Spec.Unschedulable {
		s += ",SchedulingDisabled"
	}
	return s
}

// region is the target's region label, "" when it has none.
func region(t *computev1alpha1.SyncTarget) string {
	for _, key := range RegionLabels {
		if v := t.Labels[key]; v != "" {
			return v
		}
	}
	return ""
}

// gpuProducts lists the target's GPU products, "" when it reports none.
func gpuProducts(t *computev1alpha1.SyncTarget) string {
	products := make([]string, 0, len(t.Status.GPUs))
	for _, g := range t.Status.GPUs {
		products = append(products, g.Product)
	}
	return strings.Join(products, ",")
}

// gpuCounts sums the target's GPUs over products: free is allocatable minus requested (never below zero), total
// the capacity.
func gpuCounts(t *computev1alpha1.SyncTarget) (free, total int64) {
	for _, g := range t.Status.GPUs {
		if f := g.Allocatable - g.Requested; f > 0 {
			free += f
		}
		total += g.Capacity
	}
	return free, total
}
