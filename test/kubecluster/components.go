package kubecluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gantry-dev/gantry/test/internal/kubecache"
)

// pollInterval is how often Start and the node helpers look again.
const pollInterval = 100 * time.Millisecond

// describeProcesses sets the command line of every process.
func (c *Cluster) describeProcesses(bin string) {
	logs, p, kc := c.LogDir(), c.pki, c.kubeconfig
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(c.ports.Etcd)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(c.ports.EtcdPeer)
	c.etcd = newProcess(bin, logs, "etcd", "--name=kubecluster", "--data-dir="+filepath.Join(c.dir, "etcd"),
		"--unsafe-no-fsync", "--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=kubecluster="+peerURL, "--log-level=warn")
	c.apiserver = newProcess(bin, logs, "kube-apiserver", "--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(c.ports.APIServer), "--etcd-servers="+etcdURL,
		"--tls-cert-file="+p.serverCert, "--tls-private-key-file="+p.serverKey, "--client-ca-file="+p.caCert,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+p.saPublic, "--service-account-signing-key-file="+p.saPrivateKey,
		"--service-cluster-ip-range="+serviceCIDR, "--authorization-mode=RBAC",
		"--endpoint-reconciler-type=none", "--cert-dir="+filepath.Join(c.dir, "apiserver-certs"))
	kcmFlags := componentFlags(c, kc, "kcm", c.ports.ControllerManager)
	c.kcm = newProcess(bin, logs, "kube-controller-manager", append(kcmFlags,
		"--service-account-private-key-file="+p.saPrivateKey, "--root-ca-file="+p.caCert,
		"--cluster-signing-cert-file="+p.caCert, "--cluster-signing-key-file="+p.caKey,
		"--use-service-account-credentials=true", "--concurrent-deployment-syncs=10", "--concurrent-replicaset-syncs=10")...)
	c.scheduler = newProcess(bin, logs, "kube-scheduler", componentFlags(c, kc, "scheduler", c.ports.Scheduler)...)
	kwokPort := strconv.Itoa(c.ports.Kwok)
	c.kwok = newProcess(bin, logs, "kwok", "--kubeconfig="+kc, "--config="+filepath.Join(bin, kubecache.StagesFile),
		"--config="+c.faultStagesPath(),
		"--manage-all-nodes=false", "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
		"--node-ip=127.0.0.1", "--node-name=kwok-controller", "--node-port="+kwokPort,
		"--server-address=127.0.0.1:"+kwokPort, "--node-lease-duration-seconds=40", "--cidr=10.244.0.1/16")
	// kwok keeps state under $HOME; give it a private one.
	c.kwok.env = []string{"HOME=" + filepath.Join(c.dir, "kwok-home")}
}

// componentFlags are the flags kube-controller-manager and kube-scheduler share. Their client rate limits are
// raised far above the defaults (20 and 50 requests/s), which would pace a test that starts a thousand Deployments
// at a few dozen pods per second, well below what the API server serves: the cluster stands for a real one, whose
// own speed is not what the tests and benchmarks measure.
func componentFlags(c *Cluster, kubeconfig, name string, port int) []string {
	return []string{"--kubeconfig=" + kubeconfig, "--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig, "--bind-address=127.0.0.1", "--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(c.dir, name+"-certs"), "--leader-elect=false",
		"--kube-api-qps=" + strconv.Itoa(componentQPS), "--kube-api-burst=" + strconv.Itoa(2*componentQPS)}
}

// componentQPS is the requests per second kube-controller-manager and kube-scheduler may send the API server.
const componentQPS = 1000

// startAPIServer starts kube-apiserver and waits until /readyz answers ok.
func (c *Cluster) startAPIServer(ctx context.Context) error {
	if err := c.apiserver.start(); err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	return poll(ctx, c.apiserver, "kube-apiserver /readyz", func() bool {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok"
	})
}

// waitControllers waits for the controller-manager's and the scheduler's /healthz and for the default
// ServiceAccount, which the controller-manager creates.
func (c *Cluster) waitControllers(ctx context.Context) error {
	if err := waitHTTP(ctx, c.kcm, fmt.Sprintf("https://127.0.0.1:%d/healthz", c.ports.ControllerManager)); err != nil {
		return err
	}
	if err := waitHTTP(ctx, c.scheduler, fmt.Sprintf("https://127.0.0.1:%d/healthz", c.ports.Scheduler)); err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	if err != nil {
		return err
	}
	return poll(ctx, c.kcm, "the default ServiceAccount", func() bool {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
}

// poll calls ready until it returns true, failing early when proc exits and at ctx's deadline.
func poll(ctx context.Context, proc *process, what string, ready func() bool) error {
	for !ready() {
		if !proc.running() {
			return fmt.Errorf("%s exited while waiting for %s; its log:\n%s", proc.name, what, proc.tail(30))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s; %s's log:\n%s", what, proc.name, proc.tail(30))
		case <-time.After(pollInterval):
		}
	}
	return nil
}

// waitHTTP waits until url answers 200. Health endpoints need no credentials; the certificates are self-signed.
func waitHTTP(ctx context.Context, proc *process, url string) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // local health probe only
	}}
	return poll(ctx, proc, url, func() bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}
