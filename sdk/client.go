package sdk

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// Wildcard names every workspace, in a virtual workspace or (for system:masters) on the server.
const Wildcard = "*"

// Client makes clients for workspaces of one Gantry server, or of one APIExport's virtual workspace. Every client
// it makes shares one HTTP transport (one connection pool), so that a client per workspace, or per call, costs no
// new connections.
type Client struct {
	config *rest.Config
	http   *http.Client
	// server is scheme://host[:port], without any path.
	server string
	// prefix comes before /clusters/<workspace>: empty, or /services/apiexport/<path>/<export>.
	prefix string
}

// New returns a Client for the server config points at. config.Host may carry a workspace path
// (https://host/clusters/root:ml, as kubeconfigs for Gantry do); only the server part is kept.
func New(config *rest.Config) (*Client, error) {
	u, err := url.Parse(config.Host)
	if err != nil {
		return nil, fmt.Errorf("server URL %q: %w", config.Host, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("server URL %q has no scheme or host", config.Host)
	}
	httpClient, err := rest.HTTPClientFor(config)
	if err != nil {
		return nil, err
	}
	return &Client{config: rest.CopyConfig(config), http: httpClient, server: u.Scheme + "://" + u.Host}, nil
}

// APIExport returns a Client for the virtual workspace of the APIExport name in the workspace at path: its Cluster
// clients see the export's bound objects in one consumer workspace, or in all of them with Wildcard.
func (c *Client) APIExport(path, name string) *Client {
	return &Client{config: c.config, http: c.http, server: c.server, prefix: "/services/apiexport/" + path + "/" + name}
}

// Config returns a copy of the rest.Config for one workspace: a path (root:ml), a logical cluster name, or
// Wildcard.
func (c *Client) Config(workspace string) *rest.Config {
	cfg := rest.CopyConfig(c.config)
	cfg.Host = c.server + c.prefix + "/clusters/" + strings.TrimSpace(workspace)
	cfg.APIPath = ""
	return cfg
}

// Clients are ordinary client-go clients for one workspace.
type Clients struct {
	// Config is the workspace's rest.Config.
	Config *rest.Config
	// Kubernetes is the typed client of the Kubernetes APIs (its Discovery() reads the workspace's discovery).
	Kubernetes kubernetes.Interface
	// Dynamic reaches any resource, custom and bound ones included.
	Dynamic dynamic.Interface
	// Gantry is the typed client of the *.gantry.dev APIs.
	Gantry versioned.Interface
	// APIExtensions is the typed client of CustomResourceDefinitions.
	APIExtensions apiextensionsclient.Interface
}

// Cluster returns the clients of one workspace (see Config). It builds all four, the typed Kubernetes clientset
// most of the cost (about 150 µs and 64 KB together); a caller that needs one of them calls Kubernetes, Dynamic,
// Gantry or APIExtensions instead.
func (c *Client) Cluster(workspace string) (*Clients, error) {
	k, err := c.Kubernetes(workspace)
	if err != nil {
		return nil, err
	}
	d, err := c.Dynamic(workspace)
	if err != nil {
		return nil, err
	}
	g, err := c.Gantry(workspace)
	if err != nil {
		return nil, err
	}
	x, err := c.APIExtensions(workspace)
	if err != nil {
		return nil, err
	}
	return &Clients{Config: c.Config(workspace), Kubernetes: k, Dynamic: d, Gantry: g, APIExtensions: x}, nil
}

// HTTPClient is the client every client made by c shares, for building a single typed group client (such as
// k8s.io/client-go/kubernetes/typed/core/v1.NewForConfigAndClient with Config) where a whole clientset would cost
// more than the request it serves.
func (c *Client) HTTPClient() *http.Client { return c.http }

// Kubernetes returns the typed Kubernetes clientset of one workspace (see Config); build it once per piece of work.
func (c *Client) Kubernetes(workspace string) (kubernetes.Interface, error) {
	return kubernetes.NewForConfigAndClient(c.Config(workspace), c.http)
}

// Dynamic returns the dynamic client of one workspace (see Config).
func (c *Client) Dynamic(workspace string) (dynamic.Interface, error) {
	return dynamic.NewForConfigAndClient(c.Config(workspace), c.http)
}

// Gantry returns the typed client of the *.gantry.dev APIs in one workspace (see Config).
func (c *Client) Gantry(workspace string) (versioned.Interface, error) {
	return versioned.NewForConfigAndClient(c.Config(workspace), c.http)
}

// APIExtensions returns the typed CustomResourceDefinition client of one workspace (see Config).
func (c *Client) APIExtensions(workspace string) (apiextensionsclient.Interface, error) {
	return apiextensionsclient.NewForConfigAndClient(c.Config(workspace), c.http)
}
