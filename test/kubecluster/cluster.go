package kubecluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/gantry-dev/gantry/test/freeport"
	"github.com/gantry-dev/gantry/test/internal/kubecache"
)

const (
	// serviceCIDR is the cluster's Service IP range; serviceIP is its first address, the kubernetes Service.
	serviceCIDR = "10.96.0.0/16"
	serviceIP   = "10.96.0.1"
	// stopGrace is how long a process has to exit after SIGTERM before it is killed. kube-apiserver stops
	// listening at once but then lingers while the other components' watches are open; all it holds is in etcd.
	stopGrace = 3 * time.Second
)

// Ports are the local ports the cluster listens on. A zero port is replaced by a free one.
type Ports struct {
	Etcd, EtcdPeer, APIServer, ControllerManager, Scheduler, Kwok int
}

// Option changes how Start runs the cluster.
type Option func(*options)

type options struct {
	ports   Ports
	binDir  string
	timeout time.Duration
}

// WithPorts sets the ports to listen on; zero fields still get free ports.
func WithPorts(p Ports) Option { return func(o *options) { o.ports = p } }

// WithBinDir takes the binaries from dir instead of the cache that `make kube-binaries` fills.
func WithBinDir(dir string) Option { return func(o *options) { o.binDir = dir } }

// WithStartTimeout bounds how long Start and RestartAPIServer wait for the cluster to be healthy (default 2m).
func WithStartTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Cluster is a running control plane. Its processes stop when the test that started it ends.
type Cluster struct {
	dir        string
	pki        *pki
	ports      Ports
	timeout    time.Duration
	kubeconfig string
	config     *rest.Config
	etcd       *process
	apiserver  *process
	kcm        *process
	scheduler  *process
	kwok       *process
}

// Start starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok on local ports, with a fresh
// PKI and data in t.TempDir(), and waits until they are healthy and the default ServiceAccount exists. It fails the
// test when the binaries are missing, naming the command that builds them.
func Start(t testing.TB, opts ...Option) *Cluster {
	t.Helper()
	o := options{timeout: 2 * time.Minute}
	for _, opt := range opts {
		opt(&o)
	}
	bin, err := binDir(o.binDir)
	if err != nil {
		t.Fatalf("kubecluster: %v", err)
	}
	c := &Cluster{dir: t.TempDir(), ports: o.ports, timeout: o.timeout}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kubecluster logs (in %s):\n%s", c.LogDir(), c.Logs())
		}
		c.stopAll()
	})
	if err := c.setup(bin); err != nil {
		t.Fatalf("kubecluster: %v", err)
	}
	begin := time.Now()
	if err := c.startAll(); err != nil {
		t.Fatalf("kubecluster: %v", err)
	}
	t.Logf("kubecluster: control plane healthy after %s (apiserver https://127.0.0.1:%d)",
		time.Since(begin).Round(10*time.Millisecond), c.ports.APIServer)
	return c
}

// CachedBinDir returns the directory holding the etcd, kube-apiserver and other binaries that `make kube-binaries`
// builds, or an error naming that command when the cache is missing or incomplete. Programs that run these
// binaries their own way (test/bench/compare) find them here.
func CachedBinDir() (string, error) { return binDir("") }

// binDir returns the directory of the binaries, or an error that says how to build them.
func binDir(override string) (string, error) {
	if override != "" {
		return override, nil
	}
	dir, err := kubecache.Dir()
	if err != nil {
		return "", err
	}
	if !kubecache.Complete(dir) {
		return "", fmt.Errorf("the test cluster's binaries are missing or incomplete in %s: build them with "+
			"`make kube-binaries` (the first build takes 12 minutes or more on 2 cores)", dir)
	}
	return kubecache.BinDir(dir), nil
}

// setup picks ports, writes the PKI and kubeconfig, and describes every process.
func (c *Cluster) setup(bin string) error {
	for _, p := range []*int{&c.ports.Etcd, &c.ports.EtcdPeer, &c.ports.APIServer, &c.ports.ControllerManager,
		&c.ports.Scheduler, &c.ports.Kwok} {
		if *p == 0 {
			port, err := freePort()
			if err != nil {
				return err
			}
			*p = port
		}
	}
	var err error
	if c.pki, err = newPKI(filepath.Join(c.dir, "pki")); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if err := c.writeKubeconfig(); err != nil {
		return err
	}
	if err := os.MkdirAll(c.LogDir(), 0o755); err != nil {
		return err
	}
	if err := writeFaultStages(c.faultStagesPath()); err != nil {
		return fmt.Errorf("kwok fault stages: %w", err)
	}
	c.describeProcesses(bin)
	return nil
}

// startAll starts the processes in order and waits for each stage to be healthy.
func (c *Cluster) startAll() error {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if err := c.etcd.start(); err != nil {
		return err
	}
	if err := waitHTTP(ctx, c.etcd, fmt.Sprintf("http://127.0.0.1:%d/health", c.ports.Etcd)); err != nil {
		return err
	}
	if err := c.startAPIServer(ctx); err != nil {
		return err
	}
	for _, p := range []*process{c.kcm, c.scheduler, c.kwok} {
		if err := p.start(); err != nil {
			return err
		}
	}
	return c.waitControllers(ctx)
}

// Kubeconfig returns the path of a kubeconfig with cluster-admin (system:masters) credentials.
func (c *Cluster) Kubeconfig() string { return c.kubeconfig }

// RESTConfig returns a copy of the admin client configuration.
func (c *Cluster) RESTConfig() *rest.Config { return rest.CopyConfig(c.config) }

// LogDir returns the directory holding one log file per process.
func (c *Cluster) LogDir() string { return filepath.Join(c.dir, "logs") }

// Logs returns the last lines of every process's log, for failure messages. Start's cleanup logs them when the
// test has failed.
func (c *Cluster) Logs() string {
	var b strings.Builder
	for _, p := range c.all() {
		if p != nil {
			fmt.Fprintf(&b, "--- %s (%s)\n%s", p.name, p.logPath, p.tail(40))
		}
	}
	return b.String()
}

// StopAPIServer stops kube-apiserver; the other processes keep running and retry.
func (c *Cluster) StopAPIServer() { c.apiserver.stop(stopGrace) }

// RestartAPIServer stops kube-apiserver if it runs, starts it again on the same port and storage, and waits
// until it is ready.
func (c *Cluster) RestartAPIServer(t testing.TB) {
	t.Helper()
	begin := time.Now()
	c.apiserver.stop(stopGrace)
	stopped := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if err := c.startAPIServer(ctx); err != nil {
		t.Fatalf("kubecluster: restart kube-apiserver: %v\n%s", err, c.apiserver.tail(40))
	}
	t.Logf("kubecluster: kube-apiserver stopped in %s, ready again in %s", stopped.Sub(begin).Round(10*time.Millisecond),
		time.Since(stopped).Round(10*time.Millisecond))
}

func (c *Cluster) all() []*process {
	return []*process{c.etcd, c.apiserver, c.kcm, c.scheduler, c.kwok}
}

// stopAll stops the processes in the reverse order of their start.
func (c *Cluster) stopAll() {
	ps := c.all()
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i] != nil {
			ps[i].stop(stopGrace)
		}
	}
}

func (c *Cluster) writeKubeconfig() error {
	c.kubeconfig = filepath.Join(c.dir, "admin.kubeconfig")
	server := "https://127.0.0.1:" + strconv.Itoa(c.ports.APIServer)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubecluster"] = &clientcmdapi.Cluster{Server: server, CertificateAuthority: c.pki.caCert}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificate: c.pki.adminCert, ClientKey: c.pki.adminKey}
	cfg.Contexts["kubecluster"] = &clientcmdapi.Context{Cluster: "kubecluster", AuthInfo: "admin"}
	cfg.CurrentContext = "kubecluster"
	if err := clientcmd.WriteToFile(*cfg, c.kubeconfig); err != nil {
		return err
	}
	var err error
	c.config, err = clientcmd.BuildConfigFromFlags("", c.kubeconfig)
	return err
}

// freePort picks a port outside the ephemeral range, where no client socket can take it before the component
// binds it (test/freeport).
func freePort() (int, error) { return freeport.Pick() }
