package register

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// options are the flags of `kubectl gantry sync`.
type options struct {
	exports             []string
	labels              map[string]string
	image               string
	downstreamNamespace string
	upstreamServer      string
	tokenDuration       time.Duration
	outputFile          string
}

// DefaultImage is the syncer image the manifests run unless --syncer-image names another.
const DefaultImage = "ghcr.io/gantry-dev/gantry-syncer:latest"

// NewCommand returns `kubectl gantry sync NAME`.
func NewCommand(f *plugin.Factory) *cobra.Command {
	o := &options{}
	cmd := &cobra.Command{
		Use:   "sync NAME --supported-api-export <path>:<export> [-o FILE]",
		Short: "Register a downstream cluster as a SyncTarget of the current workspace and print the manifests that run its syncer",
		Example: `  # in the compute workspace: register the cluster gpu-eu, then run its syncer there
  kubectl ws root:compute
  kubectl gantry sync gpu-eu --supported-api-export root:provider:widgets --label region=eu -o gpu-eu-syncer.yaml
  kubectl --kubeconfig gpu-eu.kubeconfig apply -f gpu-eu-syncer.yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return o.run(cmd.Context(), f, args[0]) },
	}
	cmd.Flags().StringSliceVar(&o.exports, "supported-api-export", nil, "APIExport whose bound resources the cluster runs, as <workspace path>:<export> (repeatable).")
	cmd.Flags().StringToStringVar(&o.labels, "label", nil, "Label of the SyncTarget, which Placements select (repeatable, key=value).")
	cmd.Flags().StringVar(&o.image, "syncer-image", DefaultImage, "Container image of gantry-syncer.")
	cmd.Flags().StringVar(&o.downstreamNamespace, "downstream-namespace", "gantry-syncer", "Namespace of the downstream cluster the syncer runs in.")
	cmd.Flags().StringVar(&o.upstreamServer, "upstream-server", "", "Gantry's URL as the downstream cluster reaches it (default: the current server's).")
	cmd.Flags().DurationVar(&o.tokenDuration, "token-duration", 48*time.Hour, "How long the syncer's token lives (at most 48h).")
	cmd.Flags().StringVarP(&o.outputFile, "output-file", "o", "-", "Where to write the manifests; - is standard output.")
	return cmd
}

func (o *options) run(ctx context.Context, f *plugin.Factory, name string) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("invalid SyncTarget name %q: %s", name, strings.Join(errs, "; "))
	}
	cfg, err := f.RESTConfig()
	if err != nil {
		return err
	}
	base, ws, err := plugin.SplitServer(cfg.Host)
	if err != nil {
		return err
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	gantry, err := versioned.NewForConfig(cfg)
	if err != nil {
		return err
	}
	token, err := Register(ctx, Clients{Kubernetes: kube, Gantry: gantry}, Target{Name: name, Exports: o.exports, Labels: o.labels,
		TokenDuration: o.tokenDuration}, f.IOStreams.ErrOut)
	if err != nil {
		return err
	}
	if o.upstreamServer != "" {
		base = strings.TrimSuffix(o.upstreamServer, "/")
	}
	kubeconfig, err := upstreamKubeconfig(cfg, base, ws, token)
	if err != nil {
		return err
	}
	manifests, err := Render(Manifests{Name: name, TargetPath: string(ws), Namespace: o.downstreamNamespace, Image: o.image,
		Kubeconfig: kubeconfig, ExtraGroups: exportGroups(ctx, f, o.exports)})
	if err != nil {
		return err
	}
	if o.outputFile == "-" {
		_, err = f.IOStreams.Out.Write(manifests)
		return err
	}
	if err := os.WriteFile(o.outputFile, manifests, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "wrote %s: apply it to the downstream cluster\n", o.outputFile)
	return nil
}

// upstreamKubeconfig is a kubeconfig of the Gantry server at base, trusting what cfg trusts, pointing at the compute
// workspace, authenticating with token.
func upstreamKubeconfig(cfg *rest.Config, base string, ws logicalcluster.Path, token string) ([]byte, error) {
	caData := cfg.TLSClientConfig.CAData
	if len(caData) == 0 && cfg.TLSClientConfig.CAFile != "" {
		data, err := os.ReadFile(cfg.TLSClientConfig.CAFile)
		if err != nil {
			return nil, err
		}
		caData = data
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["gantry"] = &clientcmdapi.Cluster{Server: plugin.WorkspaceURL(base, ws), CertificateAuthorityData: caData,
		InsecureSkipTLSVerify: cfg.TLSClientConfig.Insecure}
	kc.AuthInfos["syncer"] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts["gantry"] = &clientcmdapi.Context{Cluster: "gantry", AuthInfo: "syncer"}
	kc.CurrentContext = "gantry"
	return clientcmd.Write(*kc)
}

// exportGroups returns the API groups of the exports' resources, which the syncer writes downstream. An export the
// user cannot read contributes "*": the syncer may then write every group, which the printed note says.
func exportGroups(ctx context.Context, f *plugin.Factory, refs []string) []string {
	exports, _ := ParseExports(refs)
	seen := map[string]bool{}
	var groups []string
	for _, ref := range exports {
		client, err := f.GantryClientFor(logicalcluster.Path(ref.Path))
		var names []string
		if err == nil {
			export, getErr := client.ApisV1alpha1().APIExports().Get(ctx, ref.Export, metav1.GetOptions{})
			if err = getErr; err == nil {
				names = export.Spec.LatestResourceSchemas
			}
		}
		if err != nil {
			fmt.Fprintf(f.IOStreams.ErrOut, "note: cannot read APIExport %s:%s (%v); the syncer may write every API group downstream\n",
				ref.Path, ref.Export, err)
			names = []string{"*.*.*"}
		}
		for _, n := range names {
			// <prefix>.<resource>.<group>: the group is what follows the second dot.
			parts := strings.SplitN(n, ".", 3)
			if len(parts) == 3 && !seen[parts[2]] {
				seen[parts[2]] = true
				groups = append(groups, parts[2])
			}
		}
	}
	return groups
}
