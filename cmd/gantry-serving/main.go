// Command gantry-serving is the serving operator: it runs in each compute cluster next to gantry-syncer and turns
// every InferenceService the syncer copied down into a ConfigMap, a Deployment and a Service, and writes the
// service's health and status (see pkg/servingoperator and docs/serving.md).
package main

import (
	"os"

	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/component-base/cli"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/gantry-dev/gantry/pkg/servingoperator"
)

func main() {
	os.Exit(cli.Run(newCommand()))
}

// options are the command's flags.
type options struct {
	kubeconfig string
	qps        float32
	burst      int
	operator   servingoperator.Options
}

// defaultOptions are the flags' defaults.
func defaultOptions() *options {
	return &options{qps: 50, burst: 100, operator: servingoperator.Options{
		StorageInitializerImage: servingoperator.DefaultStorageInitializerImage, ClusterDomain: "cluster.local",
		MetricsBindAddress: ":8080", HealthProbeBindAddress: ":8081", Workers: 4}}
}

func newCommand() *cobra.Command { return newCommandFor(defaultOptions()) }

// newCommandFor returns the command with its flags bound to o.
func newCommandFor(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gantry-serving",
		Short: "Run the serving operator: InferenceServices become Deployments and Services, with their health in status",
		Long: "gantry-serving resolves each InferenceService's model and runtime, server-side applies a ConfigMap, a " +
			"Deployment and a Service owned by it, and writes its status: health, components, conditions, model " +
			"status, URL and replicas. It watches InferenceServices, Models and ServingRuntimes in all namespaces.",
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctrl.SetLogger(klog.NewKlogr())
			cfg, err := o.restConfig()
			if err != nil {
				return err
			}
			mgr, err := servingoperator.New(cfg, o.operator)
			if err != nil {
				return err
			}
			return mgr.Start(ctrl.SetupSignalHandler())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the cluster; empty uses the in-cluster config")
	f.StringVar(&o.operator.StorageInitializerImage, "storage-initializer-image", o.operator.StorageInitializerImage,
		"image of the init container that downloads a model (called with the storage URI and "+servingoperator.ModelDir+")")
	f.StringVar(&o.operator.ClusterDomain, "cluster-domain", o.operator.ClusterDomain, "the cluster's DNS domain, for status.url")
	f.StringVar(&o.operator.Cluster, "cluster-name", "", "name of this compute cluster in status.components; empty leaves it out")
	f.StringVar(&o.operator.MetricsBindAddress, "metrics-bind-address", o.operator.MetricsBindAddress, "address of /metrics; 0 disables it")
	f.StringVar(&o.operator.HealthProbeBindAddress, "health-probe-bind-address", o.operator.HealthProbeBindAddress, "address of /healthz and /readyz; 0 disables them")
	f.IntVar(&o.operator.Workers, "workers", o.operator.Workers, "how many InferenceServices are reconciled at once")
	f.Float32Var(&o.qps, "qps", o.qps, "requests per second to the cluster")
	f.IntVar(&o.burst, "burst", o.burst, "requests allowed at once above --qps")
	return cmd
}

// restConfig is the cluster's client configuration, from --kubeconfig or in-cluster.
func (o *options) restConfig() (*rest.Config, error) {
	var cfg *rest.Config
	var err error
	if o.kubeconfig == "" {
		cfg, err = rest.InClusterConfig()
	} else {
		cfg, err = clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	}
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = o.qps, o.burst
	return cfg, nil
}
