package syncer

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// FieldManager is the one server-side-apply field manager the syncer writes downstream objects, namespaces and
// CRDs with; a single manager means a later apply drops whatever an earlier one set and the object no longer has.
const FieldManager = "gantry-syncer"

// The syncer's defaults for how many objects it reconciles at once and how fast its clients may call each API
// server. Most reconciles send no request (see applyNeeded), so the client-side limit only paces bursts: a cold
// start's one apply per object, plus namespaces, finalizers and status writes, at --qps 50 held 10,000 objects to
// 54 copies/s.
const (
	// DefaultWorkers is how many objects are reconciled at once.
	DefaultWorkers = 16
	// DefaultQPS is the requests per second allowed to each of Gantry and the downstream cluster.
	DefaultQPS = 500
	// DefaultBurst is the requests allowed at once above DefaultQPS.
	DefaultBurst = 1000
)

// Config is what a syncer needs to run: where Gantry and the downstream cluster are, and which SyncTarget it
// stands for.
type Config struct {
	// From reaches Gantry with the syncer ServiceAccount's credentials; any path after the host is ignored.
	From *rest.Config
	// To reaches the downstream cluster with rights to CRDs, namespaces, nodes, pods, events, ReplicaSets and the synced
	// resources.
	To *rest.Config
	// SyncTargetPath is the path of the compute workspace holding the SyncTarget (root:compute).
	SyncTargetPath string
	// SyncTargetName is the SyncTarget's name.
	SyncTargetName string
	// Resync is how often every cached object is reconciled again, to repair what no event announced.
	Resync time.Duration
	// HeartbeatPeriod is how often the SyncTarget's status is reported.
	HeartbeatPeriod time.Duration
	// Workers is how many objects are reconciled at once; 0 means DefaultWorkers.
	Workers int
	// MetricsBindAddress is where /metrics is served; empty or "0" serves nothing.
	MetricsBindAddress string
	// Profiling serves Go's profiles at /debug/pprof/ next to /metrics.
	Profiling bool
	// HealthProbeBindAddress is where /healthz and /readyz are served; empty or "0" serves nothing.
	HealthProbeBindAddress string
	// Version is reported as the SyncTarget's status.syncerVersion.
	Version string
}

// ParseSyncTarget splits "<workspace path>/<name>" (root:compute/gpu) into its path and name.
func ParseSyncTarget(s string) (path, name string, err error) {
	path, name, found := strings.Cut(s, "/")
	if !found || path == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("sync target %q: want <workspace path>/<name>, such as root:compute/gpu", s)
	}
	if _, err := logicalcluster.ParseReference(path); err != nil {
		return "", "", fmt.Errorf("sync target %q: workspace path: %w", s, err)
	}
	if strings.Contains(path, "*") {
		return "", "", fmt.Errorf("sync target %q: the workspace path cannot be a wildcard", s)
	}
	return path, name, nil
}

// Validate reports the first thing missing or wrong in c.
func (c *Config) Validate() error {
	switch {
	case c.From == nil:
		return fmt.Errorf("no Gantry config (--from-kubeconfig)")
	case c.To == nil:
		return fmt.Errorf("no downstream config (--to-kubeconfig)")
	case c.SyncTargetPath == "" || c.SyncTargetName == "":
		return fmt.Errorf("no sync target (--sync-target <workspace path>/<name>)")
	case c.HeartbeatPeriod <= 0:
		return fmt.Errorf("the heartbeat period must be positive, not %s", c.HeartbeatPeriod)
	case c.Resync < 0:
		return fmt.Errorf("the resync period cannot be negative (%s)", c.Resync)
	}
	if _, err := serverBase(c.From.Host); err != nil {
		return err
	}
	return nil
}

// serverBase is scheme://host[:port] of a Gantry URL: kubeconfigs for Gantry point at a workspace
// (https://host/clusters/root), and the syncer builds every path itself.
func serverBase(host string) (string, error) {
	u, err := url.Parse(host)
	if err != nil {
		return "", fmt.Errorf("gantry server URL %q: %w", host, err)
	}
	if u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("gantry server URL %q has no scheme or host", host)
	}
	return u.Scheme + "://" + u.Host, nil
}
