package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"k8s.io/client-go/rest"
)

// ProfileGET writes to path a CPU profile of a server, taken from its /debug/pprof with admin (system:masters,
// which both servers let read it) while the load's concurrent clients GET a configmap for d. Read it with
// `go tool pprof <binary> <path>`.
func ProfileGET(ctx context.Context, admin *rest.Config, load *Load, d time.Duration, path string) error {
	cfg := rest.CopyConfig(admin)
	cfg.Timeout = d + time.Minute
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		_, err := load.throughput(ctx, 0, Batch{ThroughputFor: d + 2*time.Second})
		done <- err
	}()
	time.Sleep(time.Second) // profile the steady load, not its start
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", cfg.Host, int(d.Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return <-done
}
