package harness

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gantry-dev/gantry/test/freeport"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// Binary returns the gantry binary to test: $GANTRY_BIN, or one built once into a temporary directory.
func Binary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("GANTRY_BIN"); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "gantry-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "gantry")
		// The same version stamp as the Makefile's build (without it, pkg/buildversion derives one).
		const v = "k8s.io/component-base/version"
		ldflags := fmt.Sprintf("-X %[1]s.gitVersion=v1.37.0+gantry -X %[1]s.gitMajor=1 -X %[1]s.gitMinor=37 -X %[1]s.gitTreeState=clean", v)
		cmd := exec.Command("go", "build", "-ldflags", ldflags, "-o", builtBin, "./cmd/gantry")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// Server is a gantry process under test.
type Server struct {
	t       testing.TB
	bin     string
	DataDir string
	Port    int
	Args    []string
	cmd     *exec.Cmd
	log     *os.File
	exited  chan struct{}
}

// WithServingProvider is the argument of Start that runs the serving provider (root:serving). Without it, Start
// turns the provider off, so that the tests that do not need it neither wait for it nor see its workspace.
const WithServingProvider = "--serving-provider=true"

// Start starts a server on a fresh data directory and a free port and waits until it is ready. It is stopped
// when the test ends. The serving provider runs only when extraArgs name --serving-provider (WithServingProvider).
func Start(t testing.TB, extraArgs ...string) *Server {
	t.Helper()
	return StartBinary(t, Binary(t), extraArgs...)
}

// StartBinary is Start with another gantry binary than Binary's, such as one built without the Makefile's flags.
func StartBinary(t testing.TB, bin string, extraArgs ...string) *Server {
	t.Helper()
	if !slices.ContainsFunc(extraArgs, func(a string) bool { return strings.HasPrefix(a, "--serving-provider") }) {
		extraArgs = append([]string{"--serving-provider=false"}, extraArgs...)
	}
	s := &Server{t: t, bin: bin, DataDir: t.TempDir(), Port: FreePort(t), Args: extraArgs}
	s.Restart()
	t.Cleanup(func() {
		s.Stop(syscall.SIGTERM)
		s.keepLogOnFailure()
	})
	return s
}

// keepLogOnFailure copies the server's log into $GANTRY_TEST_LOGS, when set, if the test failed: the data
// directory, and the log in it, is removed with the test.
func (s *Server) keepLogOnFailure() {
	dir := os.Getenv("GANTRY_TEST_LOGS")
	if dir == "" || !s.t.Failed() {
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_").Replace(s.t.Name()) + fmt.Sprintf("-%d.log", s.Port)
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name), []byte(s.Logs()), 0o644)
	}
}

// Restart starts the server process again on the same data directory and port, and waits until it is ready.
func (s *Server) Restart() {
	s.t.Helper()
	s.RestartWithin(90 * time.Second)
}

// RestartWithin is Restart, waiting up to timeout for the server to be ready.
func (s *Server) RestartWithin(timeout time.Duration) {
	s.t.Helper()
	log, err := os.OpenFile(filepath.Join(s.DataDir, "gantry.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		s.t.Fatal(err)
	}
	args := append([]string{"start", "--data-dir", s.DataDir, "--secure-port", fmt.Sprint(s.Port)}, s.Args...)
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = log, log
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.log = log
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { _ = cmd.Wait(); close(exited) }(s.cmd, s.exited)
	s.waitReady(timeout)
}

func (s *Server) waitReady(timeout time.Duration) {
	s.t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		select {
		case <-s.exited:
			return false, fmt.Errorf("gantry exited early")
		default:
		}
		if _, err := os.Stat(s.Kubeconfig()); err != nil {
			return false, nil
		}
		cfg, err := s.RESTConfig("root")
		if err != nil {
			return false, nil
		}
		client, err := rest.HTTPClientFor(cfg)
		if err != nil {
			return false, nil
		}
		resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d/readyz", s.Port))
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, nil
		}
		// Ready also means the root workspace's default namespace exists.
		resp, err = client.Get(fmt.Sprintf("https://127.0.0.1:%d/clusters/root/api/v1/namespaces/default", s.Port))
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		s.t.Fatalf("gantry did not become ready: %v\n%s", err, s.Logs())
	}
}

// Signal sends sig to the server process and returns at once; Exited tells when the process ends.
func (s *Server) Signal(sig syscall.Signal) error { return s.cmd.Process.Signal(sig) }

// Exited is closed when the server process started last has exited.
func (s *Server) Exited() <-chan struct{} { return s.exited }

// Stop sends sig and waits for the process to exit.
func (s *Server) Stop(sig syscall.Signal) {
	s.t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(sig)
	select {
	case <-s.exited:
	case <-time.After(60 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.t.Errorf("gantry did not exit within 60s of %v", sig)
	}
	s.log.Close()
}

// RSSKiB returns the resident set size of the server process, in KiB, from /proc.
func (s *Server) RSSKiB() (int64, error) { return rssKiB(s.cmd.Process.Pid) }

// CPUTime returns the user and system CPU time the server process has used so far, from /proc.
func (s *Server) CPUTime() (time.Duration, error) {
	pid := s.cmd.Process.Pid
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64) // field 14 of the full line
	stime, err2 := strconv.ParseInt(fields[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: utime %v, stime %v", pid, err1, err2)
	}
	// USER_HZ, the unit of those fields, is 100 on Linux.
	return time.Duration(utime+stime) * time.Second / 100, nil
}

// rssKiB reads the resident set size of the process pid, in KiB, from /proc/<pid>/status.
func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			var kib int64
			_, err := fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:")), "%d kB", &kib)
			return kib, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// Logs returns the server's log so far.
func (s *Server) Logs() string {
	b, _ := os.ReadFile(filepath.Join(s.DataDir, "gantry.log"))
	if len(b) > 20000 {
		b = b[len(b)-20000:]
	}
	return string(b)
}

// Kubeconfig is the admin kubeconfig the server wrote.
func (s *Server) Kubeconfig() string { return filepath.Join(s.DataDir, "admin.kubeconfig") }

// URL returns the base URL of a workspace (path, cluster name or "*").
func (s *Server) URL(workspace string) string {
	return fmt.Sprintf("https://127.0.0.1:%d/clusters/%s", s.Port, workspace)
}

// RESTConfig returns an admin client config for a workspace.
func (s *Server) RESTConfig(workspace string) (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", s.Kubeconfig())
	if err != nil {
		return nil, err
	}
	cfg.Host = s.URL(workspace)
	cfg.QPS, cfg.Burst = 1000, 2000
	return cfg, nil
}

// Kubectl runs the real kubectl as the admin against a workspace.
func (s *Server) Kubectl(workspace string) *Kubectl {
	return &Kubectl{server: s, workspace: workspace}
}

// KubectlWith runs kubectl with a kubeconfig of its own as it stands: its current context decides server and user.
func (s *Server) KubectlWith(kubeconfig string) *Kubectl {
	return &Kubectl{server: s, kubeconfig: kubeconfig, plain: true}
}

// Kubectl runs kubectl against one workspace.
type Kubectl struct {
	server    *Server
	workspace string
	// kubeconfig overrides the admin kubeconfig.
	kubeconfig string
	// plain runs kubectl as a user types it: the kubeconfig comes from $KUBECONFIG, no --server is added, so the
	// current context decides the workspace (as kubectl ws sets it).
	plain bool
	// Env is added to kubectl's environment.
	Env []string
	// Stdin is fed to kubectl.
	Stdin string
}

// Run runs kubectl with args and returns stdout, stderr and the error.
func (k *Kubectl) Run(args ...string) (string, string, error) {
	return k.RunContext(context.Background(), args...)
}

// RunContext is Run with a context that kills kubectl when done.
func (k *Kubectl) RunContext(ctx context.Context, args ...string) (string, string, error) {
	kubeconfig := k.server.Kubeconfig()
	if k.kubeconfig != "" {
		kubeconfig = k.kubeconfig
	}
	full := append([]string{"--kubeconfig", kubeconfig, "--server", k.server.URL(k.workspace)}, args...)
	if k.plain {
		full = args
	}
	cmd := exec.CommandContext(ctx, KubectlPath(), full...)
	cmd.Env = append(os.Environ(), k.Env...)
	if k.plain {
		cmd.Env = append(cmd.Env, "KUBECONFIG="+kubeconfig)
	}
	cmd.Env = append(cmd.Env, "HOME="+k.server.DataDir) // no shared discovery cache between tests
	if k.Stdin != "" {
		cmd.Stdin = strings.NewReader(k.Stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// MustRun runs kubectl and fails the test on error, returning stdout.
func (k *Kubectl) MustRun(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := k.Run(args...)
	if err != nil {
		t.Fatalf("kubectl %s (workspace %s): %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), k.workspace, err, out, errOut)
	}
	return out
}

// WithStdin returns a copy of k that feeds stdin to kubectl.
func (k *Kubectl) WithStdin(stdin string) *Kubectl {
	c := *k
	c.Stdin = stdin
	return &c
}

// WithEnv returns a copy of k with extra environment variables.
func (k *Kubectl) WithEnv(env ...string) *Kubectl {
	c := *k
	c.Env = append(append([]string{}, k.Env...), env...)
	return &c
}

// KubectlPath is the kubectl binary: $KUBECTL or the one on PATH.
func KubectlPath() string {
	if p := os.Getenv("KUBECTL"); p != "" {
		return p
	}
	if p, err := exec.LookPath("kubectl"); err == nil {
		return p
	}
	return "/usr/bin/kubectl"
}

// FreePort returns a free TCP port on loopback, outside the ephemeral range (see test/freeport).
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := freeport.Pick()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// KubectlAs runs kubectl against a workspace as the user of a bearer token (from --token-auth-file), with a
// kubeconfig of its own that holds no admin certificate.
func (s *Server) KubectlAs(t testing.TB, workspace, token string) *Kubectl {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(s.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range cfg.AuthInfos {
		auth.ClientCertificateData, auth.ClientKeyData = nil, nil
		auth.Token = token
	}
	path := filepath.Join(t.TempDir(), "user.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return &Kubectl{server: s, workspace: workspace, kubeconfig: path}
}

// RESTConfigAs returns a client config for a workspace as the user of a bearer token.
func (s *Server) RESTConfigAs(workspace, token string) (*rest.Config, error) {
	cfg, err := s.RESTConfig(workspace)
	if err != nil {
		return nil, err
	}
	cfg.CertData, cfg.KeyData, cfg.CertFile, cfg.KeyFile = nil, nil, "", ""
	cfg.BearerToken = token
	return cfg, nil
}

// UserShell returns a kubectl that runs like a user's shell: its own copy of the admin kubeconfig (or, with a
// token, a token user's) in $KUBECONFIG, pointed at workspace, and the Gantry kubectl plugins on $PATH.
func (s *Server) UserShell(t testing.TB, workspace, token string) *Kubectl {
	t.Helper()
	k := s.Kubectl(workspace)
	if token != "" {
		k = s.KubectlAs(t, workspace, token)
	} else {
		data, err := os.ReadFile(s.Kubeconfig())
		if err != nil {
			t.Fatal(err)
		}
		k.kubeconfig = filepath.Join(t.TempDir(), "admin.kubeconfig")
		if err := os.WriteFile(k.kubeconfig, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := clientcmd.LoadFromFile(k.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, cluster := range cfg.Clusters {
		cluster.Server = s.URL(workspace)
	}
	if err := clientcmd.WriteToFile(*cfg, k.kubeconfig); err != nil {
		t.Fatal(err)
	}
	k.plain = true
	k.Env = append(k.Env, "PATH="+PluginDir(t)+string(os.PathListSeparator)+os.Getenv("PATH"))
	return k
}

var (
	pluginsOnce sync.Once
	pluginsDir  string
	pluginsErr  error
)

// PluginDir returns a directory holding the kubectl-ws, kubectl-create-workspace and kubectl-gantry plugins: the directory of
// $GANTRY_BIN when it has them (make build puts every binary there), else one built once.
func PluginDir(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("GANTRY_BIN"); bin != "" {
		dir := filepath.Dir(bin)
		if _, err := os.Stat(filepath.Join(dir, "kubectl-gantry")); err == nil {
			return dir
		}
	}
	pluginsOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		if pluginsDir, pluginsErr = os.MkdirTemp("", "gantry-plugins-"); pluginsErr != nil {
			return
		}
		cmd := exec.Command("go", "build", "-o", pluginsDir+"/", "./cmd/kubectl-ws", "./cmd/kubectl-create-workspace", "./cmd/kubectl-gantry")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			pluginsErr = fmt.Errorf("go build plugins: %v\n%s", err, out)
		}
	})
	if pluginsErr != nil {
		t.Fatal(pluginsErr)
	}
	return pluginsDir
}
