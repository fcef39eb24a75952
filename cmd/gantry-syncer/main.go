// Command gantry-syncer runs next to one downstream Kubernetes cluster and syncs the objects Gantry places on its
// SyncTarget (see pkg/syncer and docs/compute.md).
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/version"
	"k8s.io/klog/v2"

	"github.com/gantry-dev/gantry/pkg/buildversion"
	"github.com/gantry-dev/gantry/pkg/serviceaccount"
	"github.com/gantry-dev/gantry/pkg/syncer"
)

func main() {
	os.Exit(cli.Run(newCommand()))
}

// options are the command's flags.
type options struct {
	from, to, target       string
	resync, heartbeat      time.Duration
	metricsAddr, probeAddr string
	workers                int
	qps                    float32
	burst                  int
	tokenRenewAfter        time.Duration
	tokenSecret            string
	profiling              bool
}

func newCommand() *cobra.Command {
	o := &options{resync: 10 * time.Minute, heartbeat: 10 * time.Second, metricsAddr: ":8080", probeAddr: ":8081", workers: syncer.DefaultWorkers,
		qps: syncer.DefaultQPS, burst: syncer.DefaultBurst}
	cmd := &cobra.Command{
		Use:   "gantry-syncer --from-kubeconfig FILE --sync-target <workspace path>/<name>",
		Short: "Sync the objects Gantry places on a SyncTarget to this Kubernetes cluster, and report the cluster's GPUs",
		Long: "gantry-syncer reads the objects placed on its SyncTarget through the target's virtual workspace, applies " +
			"them to the downstream cluster, copies their status back and reports the cluster's capacity and GPUs in the " +
			"SyncTarget's status. It exits with an error when the SyncTarget cannot be read at start.",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := genericapiserver.SetupSignalContext()
			cfg, err := o.config()
			if err != nil {
				return err
			}
			renewal, err := o.tokenRenewal(ctx, cfg)
			if err != nil {
				return err
			}
			s, err := syncer.New(cfg)
			if err != nil {
				return err
			}
			if renewal != nil {
				go renewal.Run(ctx)
			}
			return s.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.from, "from-kubeconfig", "", "kubeconfig of Gantry with the syncer ServiceAccount's token (the server URL's path is ignored)")
	f.StringVar(&o.to, "to-kubeconfig", "", "kubeconfig of the downstream cluster; empty uses the in-cluster config")
	f.StringVar(&o.target, "sync-target", "", "the SyncTarget, as <workspace path>/<name>, such as root:compute/gpu")
	f.DurationVar(&o.resync, "resync", o.resync, "how often every object is reconciled again and the served resources re-read")
	f.DurationVar(&o.heartbeat, "heartbeat-period", o.heartbeat, "how often the SyncTarget's status is reported")
	f.StringVar(&o.metricsAddr, "metrics-bind-address", o.metricsAddr, "address of /metrics; 0 disables it")
	f.StringVar(&o.probeAddr, "health-probe-bind-address", o.probeAddr, "address of /healthz and /readyz; 0 disables them")
	f.BoolVar(&o.profiling, "profiling", false, "serve Go's profiles at /debug/pprof/ on the metrics address")
	f.IntVar(&o.workers, "workers", o.workers, "how many objects are synced at once")
	f.Float32Var(&o.qps, "qps", o.qps, "requests per second to each of Gantry and the downstream cluster (client-go's default, 5, would pace a cold start at 5 objects/s; 50 at 54 objects/s)")
	f.IntVar(&o.burst, "burst", o.burst, "requests allowed at once above --qps")
	f.DurationVar(&o.tokenRenewAfter, "token-renew-after", 0, "renew the Gantry token this long after it was issued; 0 renews at 80% of its life")
	f.StringVar(&o.tokenSecret, "token-secret", "", "<namespace>/<name> of the downstream Secret holding the Gantry kubeconfig, updated with each renewed token")
	_ = cmd.MarkFlagRequired("from-kubeconfig")
	_ = cmd.MarkFlagRequired("sync-target")
	return cmd
}

// tokenRenewal makes cfg.From's clients use a token that is renewed before it expires, and returns what renews
// it; nil when the kubeconfig holds no Gantry ServiceAccount token (a client certificate, say), which is used as is.
func (o *options) tokenRenewal(ctx context.Context, cfg syncer.Config) (*syncer.TokenRenewal, error) {
	if _, err := serviceaccount.ReadUnverified(cfg.From.BearerToken); err != nil {
		if o.tokenSecret != "" || o.tokenRenewAfter > 0 {
			return nil, fmt.Errorf("--token-secret and --token-renew-after need a ServiceAccount token in --from-kubeconfig: %w", err)
		}
		klog.FromContext(ctx).Info("Not renewing the Gantry credential: it is no ServiceAccount token")
		return nil, nil
	}
	renewal, err := syncer.NewTokenRenewal(ctx, syncer.TokenRenewalConfig{From: cfg.From, To: cfg.To, Secret: o.tokenSecret,
		RenewAfter: o.tokenRenewAfter})
	if err != nil {
		return nil, fmt.Errorf("token renewal: %w", err)
	}
	renewal.Use(cfg.From)
	return renewal, nil
}

// config turns the flags into a syncer.Config.
func (o *options) config() (syncer.Config, error) {
	path, name, err := syncer.ParseSyncTarget(o.target)
	if err != nil {
		return syncer.Config{}, fmt.Errorf("--sync-target: %w", err)
	}
	from, err := clientcmd.BuildConfigFromFlags("", o.from)
	if err != nil {
		return syncer.Config{}, fmt.Errorf("--from-kubeconfig: %w", err)
	}
	var to *rest.Config
	if o.to == "" {
		to, err = rest.InClusterConfig()
	} else {
		to, err = clientcmd.BuildConfigFromFlags("", o.to)
	}
	if err != nil {
		return syncer.Config{}, fmt.Errorf("--to-kubeconfig: %w", err)
	}
	for _, c := range []*rest.Config{from, to} {
		c.QPS, c.Burst = o.qps, o.burst
	}
	return syncer.Config{From: from, To: to, SyncTargetPath: path, SyncTargetName: name, Resync: o.resync,
		HeartbeatPeriod: o.heartbeat, Workers: o.workers, MetricsBindAddress: o.metricsAddr,
		HealthProbeBindAddress: o.probeAddr, Profiling: o.profiling, Version: buildversion.Get(version.DefaultKubeBinaryVersion).GitVersion}, nil
}
