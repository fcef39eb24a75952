package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
	"k8s.io/apiserver/pkg/features"
	genericapiserver "k8s.io/apiserver/pkg/server"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
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

// defaultGCPercent is the garbage collector's target that `gantry start` runs with unless GOGC is set: Go's own,
// as kube-apiserver runs. Nearly all of the server's heap is long-lived (watch caches, indexes, the embedded etcd)
// and grows with the number of workspaces, and the Go runtime keeps about (1 + GOGC/100) * 1.1 times the live heap
// resident: 50 keeps 1.5 instead of 2.2 times, about 10 KiB less per workspace at 10,000, for collections twice
// as often, which a request pays in CPU (docs/performance.md). The operator chooses: --gc-percent=50.
const defaultGCPercent = 100

// applyMemorySettings sets the process-wide settings of --gc-percent and --list-from-cache-snapshots, before the
// server starts: the garbage collector's target (unless GOGC is set, which wins) and the feature gate.
func applyMemorySettings(gcPercent int, listFromCacheSnapshots bool) error {
	if gcPercent < 1 {
		return fmt.Errorf("--gc-percent must be at least 1, got %d", gcPercent)
	}
	if err := utilfeature.DefaultMutableFeatureGate.SetFromMap(map[string]bool{
		string(features.ListFromCacheSnapshot): listFromCacheSnapshots}); err != nil {
		return err
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	return nil
}

func newStartCommand() *cobra.Command {
	o := server.NewOptions()
	gcPercent := defaultGCPercent
	listFromCacheSnapshots := false
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Start the Gantry server (embedded etcd unless --etcd-servers is given)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Validate(); err != nil {
				return fmt.Errorf("invalid flags: %w", err)
			}
			if err := applyMemorySettings(gcPercent, listFromCacheSnapshots); err != nil {
				return fmt.Errorf("invalid flags: %w", err)
			}
			return server.Run(genericapiserver.SetupSignalContext(), o)
		},
	}
	o.AddFlags(cmd.Flags())
	cmd.Flags().IntVar(&gcPercent, "gc-percent", gcPercent, "The Go garbage collector's target percentage (GOGC) when the GOGC environment variable is not set: "+
		"lower keeps less memory resident for more frequent collections.")
	cmd.Flags().BoolVar(&listFromCacheSnapshots, "list-from-cache-snapshots", listFromCacheSnapshots, "Serve LISTs at an exact resourceVersion and "+
		"their continuation pages from snapshots of the watch cache (Kubernetes' ListFromCacheSnapshot) instead of from etcd. Each snapshot keeps "+
		"the objects and cache nodes that later writes replaced until the next etcd compaction (every 5 minutes): memory that grows with every "+
		"write, so off by default.")
	return cmd
}
