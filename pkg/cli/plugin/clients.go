package plugin

import (
	"fmt"
	"strings"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// clustersPrefix separates a Gantry server's base URL from the workspace path in a workspace URL.
const clustersPrefix = "/clusters/"

// SplitServer splits a workspace URL (https://HOST/clusters/<path>) into its base and the workspace it points at.
func SplitServer(server string) (base string, ws logicalcluster.Path, err error) {
	i := strings.LastIndex(server, clustersPrefix)
	if i < 0 {
		return "", "", fmt.Errorf("the server URL %q does not point at a workspace (…/clusters/<path>)", server)
	}
	base, rest := server[:i], strings.TrimSuffix(server[i+len(clustersPrefix):], "/")
	ws, err = logicalcluster.ParsePath(rest)
	if err != nil {
		return "", "", fmt.Errorf("the server URL %q does not point at a workspace path: %v", server, err)
	}
	return base, ws, nil
}

// WorkspaceURL returns the URL of workspace ws on the server whose base URL is base.
func WorkspaceURL(base string, ws logicalcluster.Path) string {
	return base + clustersPrefix + string(ws)
}

// RESTConfig returns the client config the flags and the kubeconfig describe: the current workspace, unless --server
// names another, with the credentials of the context or of --token, --as, ...
func (f *Factory) RESTConfig() (*rest.Config, error) {
	return f.ConfigFlags.ToRESTConfig()
}

// CurrentWorkspace returns the workspace RESTConfig points at.
func (f *Factory) CurrentWorkspace() (logicalcluster.Path, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return "", err
	}
	_, ws, err := SplitServer(cfg.Host)
	return ws, err
}

// RESTConfigFor returns RESTConfig pointed at workspace ws of the same server, with the same credentials.
func (f *Factory) RESTConfigFor(ws logicalcluster.Path) (*rest.Config, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	base, _, err := SplitServer(cfg.Host)
	if err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Host = WorkspaceURL(base, ws)
	return cfg, nil
}

// GantryClient returns a client of Gantry's APIs (tenancy, apis) in the current workspace.
func (f *Factory) GantryClient() (versioned.Interface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return versioned.NewForConfig(cfg)
}

// KubeClient returns a client of the built-in Kubernetes APIs in the current workspace.
func (f *Factory) KubeClient() (kubernetes.Interface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

// DynamicClient returns a dynamic client in the current workspace.
func (f *Factory) DynamicClient() (dynamic.Interface, error) {
	cfg, err := f.RESTConfig()
	if err != nil {
		return nil, err
	}
	return dynamic.NewForConfig(cfg)
}

// Namespace returns the namespace of -n, else the kubeconfig context's, else "default".
func (f *Factory) Namespace() (string, error) {
	ns, _, err := f.ConfigFlags.ToRawKubeConfigLoader().Namespace()
	return ns, err
}

// GantryClientFor returns a client of Gantry's APIs in workspace ws of the server the flags point at.
func (f *Factory) GantryClientFor(ws logicalcluster.Path) (versioned.Interface, error) {
	cfg, err := f.RESTConfigFor(ws)
	if err != nil {
		return nil, err
	}
	return versioned.NewForConfig(cfg)
}
