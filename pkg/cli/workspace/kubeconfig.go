// Package workspace holds the logic of the kubectl plugins that navigate and create workspaces: `kubectl ws` and
// `kubectl create workspace`. Both work on the current kubeconfig context, whose server URL ends in
// /clusters/<workspace path>; navigating rewrites that URL, as `cd` changes a directory.
package workspace

import (
	"fmt"
	"strings"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// previousCluster is the kubeconfig cluster entry that remembers the workspace before the last move, for `ws -`.
const previousCluster = "gantry:previous-workspace"

// Config is the kubeconfig the plugins read and change.
type Config struct {
	rules     *clientcmd.ClientConfigLoadingRules
	overrides *clientcmd.ConfigOverrides
}

// NewConfig loads the kubeconfig from path (empty: $KUBECONFIG or ~/.kube/config) and the named context (empty:
// the current one).
func NewConfig(path, context string) *Config {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	return &Config{rules: rules, overrides: &clientcmd.ConfigOverrides{CurrentContext: context}}
}

// raw returns the whole kubeconfig and the cluster entry of the context in use.
func (c *Config) raw() (*clientcmdapi.Config, *clientcmdapi.Cluster, error) {
	raw, err := c.rules.Load()
	if err != nil {
		return nil, nil, err
	}
	name := c.overrides.CurrentContext
	if name == "" {
		name = raw.CurrentContext
	}
	ctx, ok := raw.Contexts[name]
	if !ok {
		return nil, nil, fmt.Errorf("no context %q in the kubeconfig", name)
	}
	cluster, ok := raw.Clusters[ctx.Cluster]
	if !ok {
		return nil, nil, fmt.Errorf("context %q names cluster %q, which is not in the kubeconfig", name, ctx.Cluster)
	}
	return raw, cluster, nil
}

// splitServer splits a server URL into its base and the workspace it points at.
func splitServer(server string) (base string, ws logicalcluster.Path, err error) {
	i := strings.LastIndex(server, "/clusters/")
	if i < 0 {
		return "", "", fmt.Errorf("the server URL %q does not point at a workspace (…/clusters/<path>)", server)
	}
	base, rest := server[:i], strings.TrimSuffix(server[i+len("/clusters/"):], "/")
	ws, err = logicalcluster.ParsePath(rest)
	if err != nil {
		return "", "", fmt.Errorf("the server URL %q does not point at a workspace path: %v", server, err)
	}
	return base, ws, nil
}

// Current returns the workspace the current context points at.
func (c *Config) Current() (logicalcluster.Path, error) {
	_, cluster, err := c.raw()
	if err != nil {
		return "", err
	}
	_, ws, err := splitServer(cluster.Server)
	return ws, err
}

// RESTConfig returns a client config for a workspace, with the current context's credentials.
func (c *Config) RESTConfig(ws logicalcluster.Path) (*rest.Config, error) {
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(c.rules, c.overrides).ClientConfig()
	if err != nil {
		return nil, err
	}
	base, _, err := splitServer(cfg.Host)
	if err != nil {
		return nil, err
	}
	cfg.Host = base + "/clusters/" + string(ws)
	return cfg, nil
}

// Move points the current context at ws and remembers where it pointed before.
func (c *Config) Move(ws logicalcluster.Path) error {
	raw, cluster, err := c.raw()
	if err != nil {
		return err
	}
	base, _, err := splitServer(cluster.Server)
	if err != nil {
		return err
	}
	previous := cluster.DeepCopy()
	raw.Clusters[previousCluster] = previous
	cluster.Server = base + "/clusters/" + string(ws)
	return clientcmd.ModifyConfig(c.rules, *raw, true)
}

// Previous returns the workspace before the last move.
func (c *Config) Previous() (logicalcluster.Path, error) {
	raw, _, err := c.raw()
	if err != nil {
		return "", err
	}
	prev, ok := raw.Clusters[previousCluster]
	if !ok {
		return "", fmt.Errorf("there is no previous workspace: use `kubectl ws <path>` first")
	}
	_, ws, err := splitServer(prev.Server)
	return ws, err
}
