package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

// builtBinary is one of the repository's commands, built at most once per test process.
type builtBinary struct {
	once sync.Once
	path string
	err  error
}

var (
	binariesMu sync.Mutex
	binaries   = map[string]*builtBinary{}
)

// SyncerBinary returns the gantry-syncer binary to test: gantry-syncer next to $GANTRY_BIN (make build puts it
// there), or one built once into a temporary directory.
func SyncerBinary(t testing.TB) string {
	t.Helper()
	return CommandBinary(t, "gantry-syncer")
}

// ServingOperatorBinary returns the gantry-serving binary (the serving operator) to test, found or built like
// SyncerBinary.
func ServingOperatorBinary(t testing.TB) string {
	t.Helper()
	return CommandBinary(t, "gantry-serving")
}

// CommandBinary returns the binary of ./cmd/<name>: the one next to $GANTRY_BIN (make build puts every command
// there), or one built once into a temporary directory.
func CommandBinary(t testing.TB, name string) string {
	t.Helper()
	if bin := os.Getenv("GANTRY_BIN"); bin != "" {
		if p := filepath.Join(filepath.Dir(bin), name); fileExists(p) {
			return p
		}
	}
	binariesMu.Lock()
	b, ok := binaries[name]
	if !ok {
		b = &builtBinary{}
		binaries[name] = b
	}
	binariesMu.Unlock()
	b.once.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", name+"-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", b.path, "./cmd/"+name)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", name, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// KubeconfigAs writes a kubeconfig of the server for the user of a bearer token, pointed at workspace, and returns
// its path; it holds no admin certificate.
func (s *Server) KubeconfigAs(t testing.TB, workspace, token string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(s.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range cfg.AuthInfos {
		auth.ClientCertificateData, auth.ClientKeyData = nil, nil
		auth.ClientCertificate, auth.ClientKey = "", ""
		auth.Token = token
	}
	for _, cluster := range cfg.Clusters {
		cluster.Server = s.URL(workspace)
	}
	path := filepath.Join(t.TempDir(), "token.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// Process is a command under test (such as gantry-syncer) that can be killed and started again with the same
// arguments, logging to one file across restarts.
type Process struct {
	t       testing.TB
	bin     string
	args    []string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// StartProcess starts bin with args; it is stopped (SIGTERM) when the test ends.
func StartProcess(t testing.TB, bin string, args ...string) *Process {
	t.Helper()
	p := &Process{t: t, bin: bin, args: args, logPath: filepath.Join(t.TempDir(), filepath.Base(bin)+".log")}
	p.Start()
	t.Cleanup(func() { p.Stop(syscall.SIGTERM) })
	return p
}

// Start starts the process (again).
func (p *Process) Start() {
	p.t.Helper()
	log, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		p.t.Fatal(err)
	}
	p.cmd = exec.Command(p.bin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) { _ = cmd.Wait(); log.Close(); close(exited) }(p.cmd, p.exited)
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// ExitCode is the exit status once the process has exited, else -1.
func (p *Process) ExitCode() int {
	if !p.Exited() {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// Stop sends sig and waits (30 s at most, then SIGKILL) for the process to exit.
func (p *Process) Stop(sig syscall.Signal) {
	if p.cmd == nil || p.cmd.Process == nil || p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// RSSKiB returns the resident set size of the running process, in KiB, from /proc.
func (p *Process) RSSKiB() (int64, error) {
	if p.cmd == nil || p.cmd.Process == nil || p.Exited() {
		return 0, fmt.Errorf("%s is not running", filepath.Base(p.bin))
	}
	return rssKiB(p.cmd.Process.Pid)
}

// Logs returns the last 20000 bytes the process logged.
func (p *Process) Logs() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 20000 {
		b = b[len(b)-20000:]
	}
	return string(b)
}
