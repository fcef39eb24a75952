package wsnav

import (
	"fmt"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// previousCluster is the kubeconfig cluster entry that remembers the workspace before the last move, for `ws -`.
const previousCluster = "gantry:previous-workspace"

// Kubeconfig is the kubeconfig that --kubeconfig, $KUBECONFIG or ~/.kube/config names, seen through kubectl's flags.
type Kubeconfig struct {
	f *plugin.Factory
}

// NewKubeconfig returns the kubeconfig of f's flags.
func NewKubeconfig(f *plugin.Factory) *Kubeconfig {
	return &Kubeconfig{f: f}
}

// Current returns the workspace the flags and the kubeconfig point at (--server wins over the kubeconfig).
func (k *Kubeconfig) Current() (logicalcluster.Path, error) {
	return k.f.CurrentWorkspace()
}

// entry returns the whole kubeconfig and the cluster entry in use: that of --cluster, or of the context of
// --context, or of the current context.
func (k *Kubeconfig) entry() (*clientcmdapi.Config, *clientcmdapi.Cluster, error) {
	raw, err := k.f.ConfigFlags.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, nil, err
	}
	name := raw.CurrentContext
	if flag := k.f.ConfigFlags.Context; flag != nil && *flag != "" {
		name = *flag
	}
	clusterName := ""
	if ctx, ok := raw.Contexts[name]; ok {
		clusterName = ctx.Cluster
	} else if name != "" {
		return nil, nil, fmt.Errorf("no context %q in the kubeconfig", name)
	}
	if flag := k.f.ConfigFlags.ClusterName; flag != nil && *flag != "" {
		clusterName = *flag
	}
	if clusterName == "" {
		return nil, nil, fmt.Errorf("the kubeconfig has no current context to change: use --context or set one")
	}
	cluster, ok := raw.Clusters[clusterName]
	if !ok {
		return nil, nil, fmt.Errorf("context %q names cluster %q, which is not in the kubeconfig", name, clusterName)
	}
	return &raw, cluster, nil
}

// Move points the kubeconfig's cluster entry in use at ws, on the server the flags point at, and remembers where
// the entry pointed before.
func (k *Kubeconfig) Move(ws logicalcluster.Path) error {
	cfg, err := k.f.RESTConfig()
	if err != nil {
		return err
	}
	base, _, err := plugin.SplitServer(cfg.Host)
	if err != nil {
		return err
	}
	raw, cluster, err := k.entry()
	if err != nil {
		return err
	}
	raw.Clusters[previousCluster] = cluster.DeepCopy()
	cluster.Server = plugin.WorkspaceURL(base, ws)
	return clientcmd.ModifyConfig(k.f.ConfigFlags.ToRawKubeConfigLoader().ConfigAccess(), *raw, true)
}

// Previous returns the workspace before the last move.
func (k *Kubeconfig) Previous() (logicalcluster.Path, error) {
	raw, _, err := k.entry()
	if err != nil {
		return "", err
	}
	prev, ok := raw.Clusters[previousCluster]
	if !ok {
		return "", fmt.Errorf("there is no previous workspace: use `kubectl ws <path>` first")
	}
	_, ws, err := plugin.SplitServer(prev.Server)
	return ws, err
}
