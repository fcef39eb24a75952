package server

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/healthz"
	"k8s.io/apiserver/pkg/storage/storagebackend"

	"github.com/gantry-dev/gantry/pkg/etcd"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// check returns the check named name among checks.
func check(t *testing.T, checks []healthz.HealthChecker, name string) healthz.HealthChecker {
	t.Helper()
	for _, c := range checks {
		if c.Name() == name {
			return c
		}
	}
	t.Fatalf("no check %q", name)
	return nil
}

// TestEtcdChecks probes a real etcd: the checks pass while it serves and fail once it is stopped.
func TestEtcdChecks(t *testing.T) {
	ctx := context.Background()
	server, err := etcd.Start(ctx, etcd.Config{Dir: t.TempDir(), UnsafeNoFsync: true})
	require.NoError(t, err)
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			server.Close()
		}
	})
	config := genericapiserver.NewConfig(registry.Codecs)
	storage := *storagebackend.NewDefaultConfig("/registry", nil)
	storage.Transport.ServerList = server.Endpoints
	require.NoError(t, addEtcdChecks(config, storage))

	health := check(t, config.HealthzChecks, "etcd")
	require.Same(t, health, check(t, config.LivezChecks, "etcd"), "/livez has the same etcd check as /healthz")
	ready := check(t, config.ReadyzChecks, "etcd-readiness")
	check(t, config.ReadyzChecks, "etcd")
	// The checks' client connects in the background; both pass once it has.
	for _, c := range []healthz.HealthChecker{health, ready} {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
			return c.Check(nil) == nil, nil
		})
		require.NoError(t, err, "%s never passed against a serving etcd: %v", c.Name(), c.Check(nil))
	}

	server.Close()
	stopped = true
	for _, c := range []healthz.HealthChecker{health, ready} {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(context.Context) (bool, error) {
			return c.Check(nil) != nil, nil
		})
		require.NoError(t, err, "%s still passes with etcd stopped", c.Name())
	}
}

// TestEtcdChecksUnreachable: an etcd that never answered fails the checks rather than blocking them.
func TestEtcdChecksUnreachable(t *testing.T) {
	config := genericapiserver.NewConfig(registry.Codecs)
	storage := *storagebackend.NewDefaultConfig("/registry", nil)
	storage.Transport.ServerList = []string{"http://127.0.0.1:1"}
	require.NoError(t, addEtcdChecks(config, storage))
	require.Error(t, check(t, config.HealthzChecks, "etcd").Check(nil))
	require.Error(t, check(t, config.ReadyzChecks, "etcd-readiness").Check(nil))
}

// TestInformerSyncNamesWhatWaits: each index has its check, and informer-sync fails while any has not synced,
// naming those, and passes once all have.
func TestInformerSyncNamesWhatWaits(t *testing.T) {
	var workspaces, crds atomic.Bool
	checks := syncedChecks([]namedSync{{"workspace-index", workspaces.Load}, {"crd-index", crds.Load}})
	all := check(t, checks, "informer-sync")
	require.EqualError(t, all.Check(nil), "not synced yet: workspace-index, crd-index")
	require.EqualError(t, check(t, checks, "crd-index").Check(nil), "crd-index not synced")

	workspaces.Store(true)
	require.EqualError(t, all.Check(nil), "not synced yet: crd-index")
	require.NoError(t, check(t, checks, "workspace-index").Check(nil))
	crds.Store(true)
	require.NoError(t, all.Check(nil))
	require.NoError(t, check(t, checks, "crd-index").Check(nil))
}
