package harness

import (
	"context"
	"testing"
	"time"

	"github.com/gantry-dev/gantry/pkg/server"
)

// StartInProcess runs a server inside the test process, on a fresh data directory and a free port, with options
// changed by configure (for what has no flag, such as extra admission plugins; the serving provider is off unless
// configure turns it on), and waits until it is ready. It
// is stopped when the test ends. Only one in-process server may run per test binary: the generic API server
// registers process-wide metrics. End-to-end tests exec the real binary with Start instead.
func StartInProcess(t testing.TB, configure func(*server.Options)) *Server {
	t.Helper()
	s := &Server{t: t, DataDir: t.TempDir(), Port: FreePort(t), exited: make(chan struct{})}
	o := server.NewOptions()
	o.DataDir, o.SecurePort = s.DataDir, s.Port
	o.ServingProvider = false
	if configure != nil {
		configure(o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var runErr error
	go func() {
		defer close(s.exited)
		runErr = server.Run(ctx, o)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.exited:
		case <-time.After(60 * time.Second):
			t.Errorf("the in-process server did not stop within 60s")
		}
	})
	s.waitReady(90 * time.Second)
	select {
	case <-s.exited:
		t.Fatalf("the in-process server stopped: %v", runErr)
	default:
	}
	return s
}
