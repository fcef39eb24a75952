package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gantry-dev/gantry/pkg/pki"
	"github.com/gantry-dev/gantry/test/freeport"
)

const (
	// vanillaEtcdPrefix is kube-apiserver's key prefix; Gantry keeps its fixed /registry.
	vanillaEtcdPrefix = "/vanilla"
	// loadUser is the caller of the load, authenticated by loadToken and authorized only by RoleBindings.
	loadUser  = "bench-user"
	loadToken = "bench-token"
	// stopGrace is how long a process has after SIGTERM before it is killed.
	stopGrace = 10 * time.Second
)

// Target is one API server as the load sees it: where the tested namespaces live, and as whom.
type Target struct {
	// Name is "vanilla" or "gantry".
	Name string
	// Admin is a system:masters client config for the tested workspace (Gantry) or the cluster (vanilla).
	Admin *rest.Config
	// User is the load's caller: a bearer-token user with no group but system:authenticated.
	User *rest.Config
	// proc is the server's process, for its RSS and CPU time.
	proc *process
}

// Environment is the running etcd and the two servers on it.
type Environment struct {
	dir     string
	etcd    *process
	Vanilla *Target
	Gantry  *Target
	// GantryRoot is an admin client config for Gantry's root workspace, where the other workspaces are created.
	GantryRoot *rest.Config
}

// StartEnvironment starts etcd, then kube-apiserver and gantry on it, in dir, and waits until both are ready.
func StartEnvironment(ctx context.Context, dir, kubeBin, gantryBin string) (*Environment, error) {
	e := &Environment{dir: dir}
	tokens := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokens, []byte(loadToken+","+loadUser+",uid-"+loadUser+"\n"), 0o600); err != nil {
		return nil, err
	}
	etcdURL, err := e.startEtcd(ctx, kubeBin)
	if err != nil {
		return e, err
	}
	if e.Vanilla, err = e.startVanilla(ctx, kubeBin, etcdURL, tokens); err != nil {
		return e, err
	}
	if e.Gantry, e.GantryRoot, err = e.startGantry(ctx, gantryBin, etcdURL, tokens); err != nil {
		return e, err
	}
	return e, nil
}

// Stop stops the servers, then etcd.
func (e *Environment) Stop() {
	if e == nil {
		return
	}
	for _, t := range []*Target{e.Gantry, e.Vanilla} {
		if t != nil {
			t.proc.stop()
		}
	}
	if e.etcd != nil {
		e.etcd.stop()
	}
}

// startEtcd runs the cached etcd without fsync (as the test clusters do: both servers pay the same disk, and a
// shared machine's fsync jitter would only blur the comparison) and returns its client URL.
func (e *Environment) startEtcd(ctx context.Context, kubeBin string) (string, error) {
	client, peer, err := ports2()
	if err != nil {
		return "", err
	}
	url := "http://127.0.0.1:" + strconv.Itoa(client)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peer)
	e.etcd = &process{name: "etcd", path: filepath.Join(kubeBin, "etcd"), dir: e.dir, args: []string{
		"--name=bench", "--data-dir=" + filepath.Join(e.dir, "etcd"), "--unsafe-no-fsync",
		"--listen-client-urls=" + url, "--advertise-client-urls=" + url, "--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL, "--initial-cluster=bench=" + peerURL, "--log-level=warn",
		"--quota-backend-bytes=8589934592"}}
	if err := e.etcd.start(); err != nil {
		return "", err
	}
	return url, e.etcd.waitFor(ctx, http.DefaultClient, url+"/health")
}

// startVanilla runs kube-apiserver with RBAC, TLS from a PKI made like Gantry's, the load's token file and its
// own key prefix.
func (e *Environment) startVanilla(ctx context.Context, kubeBin, etcdURL, tokens string) (*Target, error) {
	port, err := freeport.Pick()
	if err != nil {
		return nil, err
	}
	url := "https://127.0.0.1:" + strconv.Itoa(port)
	pkiDir := filepath.Join(e.dir, "vanilla-pki")
	files, err := pki.Ensure(pkiDir, "", "127.0.0.1", url)
	if err != nil {
		return nil, fmt.Errorf("vanilla PKI: %w", err)
	}
	proc := &process{name: "kube-apiserver", path: filepath.Join(kubeBin, "kube-apiserver"), dir: e.dir, args: []string{
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(port),
		"--etcd-servers=" + etcdURL, "--etcd-prefix=" + vanillaEtcdPrefix,
		"--tls-cert-file=" + files.ServingCert, "--tls-private-key-file=" + files.ServingKey,
		"--client-ca-file=" + files.CACert, "--token-auth-file=" + tokens, "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + files.ServiceAccountKey,
		"--service-account-signing-key-file=" + files.ServiceAccountKey,
		"--service-cluster-ip-range=10.96.0.0/16", "--endpoint-reconciler-type=none",
		"--cert-dir=" + filepath.Join(e.dir, "vanilla-certs")}}
	if err := proc.start(); err != nil {
		return nil, err
	}
	t, err := newTarget("vanilla", proc, files.AdminKubeconfig, url)
	if err != nil {
		return nil, err
	}
	return t, waitReady(ctx, proc, t.Admin)
}

// startGantry runs gantry as shipped, on the shared etcd, with the load's token file. Its Target points at the
// root workspace until fixtures create the tested one.
func (e *Environment) startGantry(ctx context.Context, bin, etcdURL, tokens string) (*Target, *rest.Config, error) {
	port, err := freeport.Pick()
	if err != nil {
		return nil, nil, err
	}
	dataDir := filepath.Join(e.dir, "gantry")
	proc := &process{name: "gantry", path: bin, dir: e.dir, args: []string{"start", "--data-dir=" + dataDir,
		"--secure-port=" + strconv.Itoa(port), "--etcd-servers=" + etcdURL, "--token-auth-file=" + tokens,
		"--leader-elect=false"}}
	if err := proc.start(); err != nil {
		return nil, nil, err
	}
	kubeconfig := filepath.Join(dataDir, "admin.kubeconfig")
	if err := proc.poll(ctx, "admin.kubeconfig", func() bool { _, err := os.Stat(kubeconfig); return err == nil }); err != nil {
		return nil, nil, err
	}
	root, err := newTarget("gantry", proc, kubeconfig, fmt.Sprintf("https://127.0.0.1:%d/clusters/root", port))
	if err != nil {
		return nil, nil, err
	}
	return root, root.Admin, waitReady(ctx, proc, root.Admin)
}

// newTarget makes the admin and user client configs of a server at url from its admin kubeconfig.
func newTarget(name string, proc *process, kubeconfig, url string) (*Target, error) {
	admin, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	admin.Host = url
	tuneClient(admin)
	return &Target{Name: name, Admin: admin, User: userConfig(admin), proc: proc}, nil
}

// userConfig is admin's server and CA with the load user's token instead of the admin certificate.
func userConfig(admin *rest.Config) *rest.Config {
	user := rest.CopyConfig(admin)
	user.CertData, user.KeyData, user.CertFile, user.KeyFile = nil, nil, "", ""
	user.BearerToken = loadToken
	return user
}

// tuneClient removes client-side throttling and asks for protobuf, which both servers speak for built-in types.
func tuneClient(cfg *rest.Config) {
	cfg.QPS, cfg.Burst = -1, 0
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	cfg.Timeout = time.Minute
}

// inWorkspace returns a copy of cfg, a Gantry client config, pointed at the workspace path.
func inWorkspace(cfg *rest.Config, path string) *rest.Config {
	c := rest.CopyConfig(cfg)
	if i := strings.Index(c.Host, "/clusters/"); i >= 0 {
		c.Host = c.Host[:i]
	}
	c.Host += "/clusters/" + path
	return c
}

// ownConnection makes clients built from cfg dial their own connection: client-go shares one transport (one
// HTTP/2 connection) between configs that look alike, unless a config has its own dialer.
func ownConnection(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Dial = (&net.Dialer{Timeout: 30 * time.Second}).DialContext
	return c
}

// waitReady waits until the server answers /readyz with ok.
func waitReady(ctx context.Context, proc *process, cfg *rest.Config) error {
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	base, _, _ := strings.Cut(cfg.Host, "/clusters/")
	return proc.waitFor(ctx, client, base+"/readyz")
}

// ports2 picks two free ports.
func ports2() (int, int, error) {
	a, err := freeport.Pick()
	if err != nil {
		return 0, 0, err
	}
	b, err := freeport.Pick()
	return a, b, err
}

// process is a server process with its output in dir/<name>.log.
type process struct {
	name, path, dir string
	args            []string
	cmd             *exec.Cmd
	exited          chan struct{}
}

func (p *process) logPath() string { return filepath.Join(p.dir, p.name+".log") }

func (p *process) start() error {
	log, err := os.Create(p.logPath())
	if err != nil {
		return err
	}
	p.cmd = exec.Command(p.path, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	p.cmd.SysProcAttr = sysProcAttr()
	if err := p.cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.exited = make(chan struct{})
	go func() { _ = p.cmd.Wait(); log.Close(); close(p.exited) }()
	return nil
}

// stop sends SIGTERM and kills the process after stopGrace.
func (p *process) stop() {
	if p.cmd == nil || p.exited == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopGrace):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// poll calls ready every 100ms until it is true, failing when the process exits or ctx ends.
func (p *process) poll(ctx context.Context, what string, ready func() bool) error {
	for !ready() {
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited while waiting for %s; see %s", p.name, what, p.logPath())
		case <-ctx.Done():
			return fmt.Errorf("timed out waiting for %s of %s; see %s", what, p.name, p.logPath())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

// waitFor waits until url answers 200.
func (p *process) waitFor(ctx context.Context, client *http.Client, url string) error {
	return p.poll(ctx, url, func() bool {
		resp, err := client.Get(url)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// clockTicks is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const clockTicks = 100

// cpuTime reads the user and system CPU time the process has used from /proc.
func (p *process) cpuTime() (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", p.cmd.Process.Pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64) // field 14 of the full line
	stime, err2 := strconv.ParseInt(fields[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %v, stime %v", p.cmd.Process.Pid, err1, err2)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// rssMiB reads the process's resident set size from /proc.
func (p *process) rssMiB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	var kib float64
	for _, line := range strings.Split(string(b), "\n") {
		if n, _ := fmt.Sscanf(line, "VmRSS: %g kB", &kib); n == 1 {
			return kib / 1024
		}
	}
	return 0
}
