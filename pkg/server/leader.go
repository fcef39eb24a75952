package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/klog/v2"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

const (
	// LeaderNamespace holds the controllers' Lease, in the root workspace, where only root's admins see it.
	LeaderNamespace = "gantry-system"
	// LeaderLease is the Lease the replicas compete for; its holder runs the controllers.
	LeaderLease = "gantry-controllers"
)

// errLostLeadership ends a replica that stopped leading: its controllers cannot be stopped cleanly mid-work, so
// the process exits and a restart rejoins as a follower, as kube-controller-manager does.
var errLostLeadership = errors.New("lost the controllers' lease: exiting so that a restart rejoins as a follower")

// elect runs lead once this replica holds the controllers' Lease, and returns when ctx ends (nil) or when the
// Lease is lost (errLostLeadership); observe hears every leader named and this replica's own identity. Without
// leader election, lead runs at once.
func (s *Server) elect(ctx context.Context, lead func(context.Context), observe func(holder, self string)) error {
	le := s.options.LeaderElection
	if !le.Enabled {
		lead(ctx)
		return nil
	}
	root, err := s.clients.Cluster(string(logicalcluster.Root))
	if err != nil {
		return err
	}
	client := root.Kubernetes
	if err := ensureNamespace(ctx, client, LeaderNamespace); err != nil {
		return err
	}
	identity := s.leaderIdentity()
	elector, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: &resourcelock.LeaseLock{
			LeaseMeta:  metav1.ObjectMeta{Namespace: LeaderNamespace, Name: LeaderLease},
			Client:     client.CoordinationV1(),
			LockConfig: resourcelock.ResourceLockConfig{Identity: identity},
		},
		LeaseDuration:   le.LeaseDuration,
		RenewDeadline:   le.RenewDeadline,
		RetryPeriod:     le.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            LeaderLease,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(ctx context.Context) {
				klog.FromContext(ctx).Info("Leading: this replica runs the controllers", "identity", identity)
				lead(ctx)
			},
			OnStoppedLeading: func() {},
			OnNewLeader: func(holder string) {
				klog.FromContext(ctx).Info("Controllers' leader", "identity", holder)
				observe(holder, identity)
			},
		},
	})
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	elector.Run(ctx)
	if ctx.Err() != nil {
		return nil
	}
	return errLostLeadership
}

// leaderIdentity names this replica in the Lease: its host and URL. No two live processes share both (one of them
// would hold the port), and a restarted process is the same holder, so that it leads again at once instead of
// waiting out its own lease.
func (s *Server) leaderIdentity() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return host + "_" + s.externalURL
}

// ensureNamespace creates a namespace unless it exists, retrying while the server settles.
func ensureNamespace(ctx context.Context, client kubernetes.Interface, name string) error {
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		if err == nil || apierrors.IsAlreadyExists(err) {
			return true, nil
		}
		klog.FromContext(ctx).V(2).Info("Waiting to create a namespace", "namespace", name, "err", err)
		return false, nil
	})
}
