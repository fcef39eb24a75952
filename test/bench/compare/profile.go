package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// ProfileStats is what the load did while a server was profiled.
type ProfileStats struct {
	// RequestsPerSecond is the rate of the concurrent clients' GETs.
	RequestsPerSecond float64
	// CPUPerRequest is the server process's CPU time (user and system) divided by the requests served.
	CPUPerRequest time.Duration
}

// ProfiledRequests are the requests the concurrent clients can send while a server is profiled, by the name
// -profile-load takes.
var ProfiledRequests = map[string]func(context.Context, kubernetes.Interface) error{
	"get": getTarget,
	"list1000": func(ctx context.Context, c kubernetes.Interface) error {
		_, err := c.CoreV1().ConfigMaps(listNamespace(1000)).List(ctx, metav1.ListOptions{})
		return err
	},
}

// Profile writes to path a CPU profile of a server, taken from its /debug/pprof with admin (system:masters,
// which both servers let read it) while the load's concurrent clients send request for d. Read it with
// `go tool pprof <binary> <path>`.
func Profile(ctx context.Context, admin *rest.Config, load *Load, request func(context.Context, kubernetes.Interface) error,
	d time.Duration, path string) (ProfileStats, error) {
	var stats ProfileStats
	cfg := rest.CopyConfig(admin)
	cfg.Timeout = d + time.Minute
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return stats, err
	}
	cpuBefore, err := load.target.proc.cpuTime()
	if err != nil {
		return stats, err
	}
	done := make(chan error, 1)
	go func() {
		s, err := load.concurrently(ctx, d+2*time.Second, request)
		if err == nil {
			cpuAfter, cpuErr := load.target.proc.cpuTime()
			stats.RequestsPerSecond = float64(s.Requests) / s.Elapsed.Seconds()
			stats.CPUPerRequest = (cpuAfter - cpuBefore) / time.Duration(max(1, s.Requests))
			err = cpuErr
		}
		done <- err
	}()
	time.Sleep(time.Second) // profile the steady load, not its start
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", cfg.Host, int(d.Seconds()))
	if err := fetchProfile(ctx, client, url, path); err != nil {
		<-done
		return stats, err
	}
	err = <-done
	return stats, err
}

// fetchProfile GETs url and writes the body to path.
func fetchProfile(ctx context.Context, client *http.Client, url, path string) error {
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
	return out.Close()
}
