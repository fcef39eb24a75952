package server

import (
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apiserver/pkg/admission"

	"github.com/gantry-dev/gantry/pkg/synctarget"
)

// Options are the flags of `gantry start`.
type Options struct {
	// DataDir holds the embedded etcd, admin.kubeconfig, and the certificates unless PKIDir is set.
	DataDir string
	// PKIDir holds the CA, the serving and admin certificates and the ServiceAccount signing key; empty is DataDir.
	// Replicas of one Gantry on one etcd share it, so that each accepts the others' certificates and tokens.
	PKIDir string
	// BindAddress is the IP the server listens on.
	BindAddress string
	// SecurePort is the HTTPS port.
	SecurePort int
	// EtcdServers are external etcd client URLs; empty starts an embedded etcd under DataDir.
	EtcdServers []string
	// Workers is the number of workspace controller workers. Each spends most of a workspace's teardown waiting
	// on round trips, so 16 (not 4) is what lets 10,000 workspaces be deleted in about a minute (issue 12).
	Workers int
	// MaxRequestBodyBytes bounds the size of a request body.
	MaxRequestBodyBytes int64
	// AuditLogPath is the file audit events are written to; empty disables audit logging.
	AuditLogPath string
	// AuditPolicyFile says which requests are audited and at which level; required with AuditLogPath.
	AuditPolicyFile string
	// TokenAuthFile is a CSV file of static bearer tokens: token,user,uid,"group1,group2".
	TokenAuthFile string
	// LeaderElection decides which replica runs the controllers; every replica serves requests.
	LeaderElection LeaderElection
	// SyncTargetLease is how long a SyncTarget stays Ready after its syncer's last heartbeat.
	SyncTargetLease time.Duration
	// ServingProvider creates the provider workspace root:serving of the serving.gantry.dev API (schemas, the
	// export "serving", the built-in ServingRuntimes) and keeps it as shipped (pkg/servingprovider).
	ServingProvider bool
	// Admission are admission plugins added to the one chain every resource goes through (built-in, CRDs' and
	// bound ones), for programs that embed the server and for tests; there is no flag for them.
	Admission []admission.Interface
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	return &Options{
		DataDir:             ".gantry",
		BindAddress:         "127.0.0.1",
		SecurePort:          6443,
		Workers:             16,
		MaxRequestBodyBytes: 3 * 1024 * 1024,
		LeaderElection: LeaderElection{Enabled: true, LeaseDuration: 15 * time.Second, RenewDeadline: 10 * time.Second,
			RetryPeriod: 2 * time.Second},
		SyncTargetLease: synctarget.DefaultLease,
		ServingProvider: true,
	}
}

// LeaderElection are the options of the election of the replica that runs the controllers, with the meaning and
// defaults of kube-controller-manager's --leader-elect flags. The lease is gantry-system/gantry-controllers in the
// root workspace.
type LeaderElection struct {
	// Enabled runs the election; disabled, this replica runs the controllers unconditionally (one replica only).
	Enabled bool
	// LeaseDuration is how long followers wait after the last renewal before taking over.
	LeaseDuration time.Duration
	// RenewDeadline is how long the leader retries renewing before it gives up leading.
	RenewDeadline time.Duration
	// RetryPeriod is the wait between tries to acquire or renew.
	RetryPeriod time.Duration
}

// AddFlags registers the options as flags.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.DataDir, "data-dir", o.DataDir, "Directory for the embedded etcd, admin.kubeconfig, and the certificates unless --pki-dir is given.")
	fs.StringVar(&o.PKIDir, "pki-dir", o.PKIDir, "Directory for the CA, certificates and ServiceAccount signing key (default: --data-dir). Replicas on one etcd share it.")
	fs.StringVar(&o.BindAddress, "bind-address", o.BindAddress, "IP address to serve on.")
	fs.IntVar(&o.SecurePort, "secure-port", o.SecurePort, "HTTPS port to serve on.")
	fs.StringSliceVar(&o.EtcdServers, "etcd-servers", o.EtcdServers, "External etcd client URLs (comma separated). Empty starts an embedded etcd under --data-dir.")
	fs.IntVar(&o.Workers, "workspace-workers", o.Workers, "Number of workers of the workspace controller.")
	fs.StringVar(&o.AuditLogPath, "audit-log-path", o.AuditLogPath, "File to write audit events to, one JSON event a line. Empty disables audit logging.")
	fs.StringVar(&o.AuditPolicyFile, "audit-policy-file", o.AuditPolicyFile, "Audit policy (audit.k8s.io/v1 Policy); required with --audit-log-path.")
	fs.StringVar(&o.TokenAuthFile, "token-auth-file", o.TokenAuthFile, "CSV file of static bearer tokens (token,user,uid,\"group1,group2\").")
	fs.Int64Var(&o.MaxRequestBodyBytes, "max-request-body-bytes", o.MaxRequestBodyBytes, "Largest request body accepted, in bytes.")
	fs.DurationVar(&o.SyncTargetLease, "synctarget-lease", o.SyncTargetLease, "How long a SyncTarget stays Ready after its syncer's last heartbeat (gantry-syncer heartbeats every 10s by default).")
	fs.BoolVar(&o.ServingProvider, "serving-provider", o.ServingProvider, "Create the provider workspace root:serving of the serving.gantry.dev API (schemas, the APIExport \"serving\" any authenticated user may bind, the built-in ServingRuntimes) and put it back as shipped on each start.")
	le := &o.LeaderElection
	fs.BoolVar(&le.Enabled, "leader-elect", le.Enabled, "Elect the replica that runs the controllers, so that several replicas can share one etcd. Disable only with a single replica.")
	fs.DurationVar(&le.LeaseDuration, "leader-elect-lease-duration", le.LeaseDuration, "How long followers wait after the leader's last renewal before taking over.")
	fs.DurationVar(&le.RenewDeadline, "leader-elect-renew-deadline", le.RenewDeadline, "How long the leader retries renewing its lease before it stops leading.")
	fs.DurationVar(&le.RetryPeriod, "leader-elect-retry-period", le.RetryPeriod, "Wait between tries to acquire or renew the lease.")
}

// Validate checks the options.
func (o *Options) Validate() error {
	if net.ParseIP(o.BindAddress) == nil {
		return fmt.Errorf("--bind-address %q is not an IP address", o.BindAddress)
	}
	if o.SecurePort < 1 || o.SecurePort > 65535 {
		return fmt.Errorf("--secure-port %d is out of range", o.SecurePort)
	}
	if o.DataDir == "" {
		return fmt.Errorf("--data-dir must not be empty")
	}
	if (o.AuditLogPath == "") != (o.AuditPolicyFile == "") {
		return fmt.Errorf("--audit-log-path and --audit-policy-file go together")
	}
	if o.Workers < 1 {
		return fmt.Errorf("--workspace-workers must be at least 1")
	}
	if o.SyncTargetLease <= 0 {
		return fmt.Errorf("--synctarget-lease must be positive")
	}
	if le := o.LeaderElection; le.Enabled && (le.RetryPeriod <= 0 || le.RenewDeadline <= le.RetryPeriod || le.LeaseDuration <= le.RenewDeadline) {
		return fmt.Errorf("leader election needs 0 < --leader-elect-retry-period < --leader-elect-renew-deadline < --leader-elect-lease-duration")
	}
	return nil
}

// host is the address clients use: the bind address, or loopback when binding to all interfaces.
func (o *Options) host() string {
	if ip := net.ParseIP(o.BindAddress); ip == nil || ip.IsUnspecified() {
		return "127.0.0.1"
	}
	return o.BindAddress
}

func (o *Options) externalURL() string {
	return "https://" + net.JoinHostPort(o.host(), fmt.Sprint(o.SecurePort))
}

func (o *Options) absDataDir() (string, error) { return filepath.Abs(o.DataDir) }

// absPKIDir is where the certificates live: PKIDir, or DataDir.
func (o *Options) absPKIDir() (string, error) {
	if o.PKIDir == "" {
		return o.absDataDir()
	}
	return filepath.Abs(o.PKIDir)
}
