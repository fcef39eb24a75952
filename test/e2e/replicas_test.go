package e2e

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/storage/etcd3/testserver"

	"github.com/gantry-dev/gantry/pkg/server"
	"github.com/gantry-dev/gantry/test/harness"
)

// TestTwoReplicas runs two gantry processes on one external etcd, sharing their certificates: both serve every
// workspace, the elected one runs the controllers, and the other takes over when it dies.
func TestTwoReplicas(t *testing.T) {
	etcd := testserver.RunEtcd(t, nil)
	args := []string{"--etcd-servers", strings.Join(etcd.Endpoints(), ","), "--pki-dir", t.TempDir(),
		"--leader-elect-lease-duration", "4s", "--leader-elect-renew-deadline", "3s", "--leader-elect-retry-period", "500ms"}
	a := harness.Start(t, args...)
	b := harness.Start(t, args...)
	holder := func() string {
		client, _ := b.Clients(t, "root")
		lease, err := client.CoordinationV1().Leases(server.LeaderNamespace).Get(context.Background(), server.LeaderLease, metav1.GetOptions{})
		if err != nil || lease.Spec.HolderIdentity == nil {
			return ""
		}
		return *lease.Spec.HolderIdentity
	}
	portOf := func(s *harness.Server) string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }
	require.Eventually(t, func() bool { return strings.HasSuffix(holder(), portOf(a)) }, 30*time.Second, 100*time.Millisecond,
		"the replica started first leads (holder %q)", holder())

	path, _ := a.CreateWorkspace(t, "root", "replicated")
	t.Run("a workspace created through A becomes Ready and is usable through B", func(t *testing.T) {
		b.WaitWorkspaceReady(t, "root", "replicated")
		b.Kubectl(path).MustRun(t, "create", "configmap", "via-b", "--from-literal=k=v")
		assert.Equal(t, "v", a.Kubectl(path).MustRun(t, "get", "configmap", "via-b", "-o", "jsonpath={.data.k}"))
	})

	t.Run("a RoleBinding removed through A stops access through B", func(t *testing.T) {
		admin := a.Kubectl(path)
		admin.MustRun(t, "create", "serviceaccount", "alice")
		admin.MustRun(t, "create", "rolebinding", "alice-view", "--clusterrole", "view", "--serviceaccount", "default:alice")
		token := strings.TrimSpace(admin.MustRun(t, "create", "token", "alice"))
		alice := b.KubectlAs(t, path, token)
		require.Eventually(t, func() bool {
			_, _, err := alice.Run("get", "configmap", "via-b")
			return err == nil
		}, 30*time.Second, 100*time.Millisecond, "B accepts a token A issued and the binding A stored")
		admin.MustRun(t, "delete", "rolebinding", "alice-view")
		require.Eventually(t, func() bool {
			_, errOut, err := alice.Run("get", "configmap", "via-b")
			return err != nil && strings.Contains(errOut, "Forbidden")
		}, 30*time.Second, 100*time.Millisecond, "B follows the removal")
	})

	t.Run("killing the leader makes the other take over", func(t *testing.T) {
		a.Stop(syscall.SIGKILL)
		require.Eventually(t, func() bool { return strings.HasSuffix(holder(), portOf(b)) }, 60*time.Second, 200*time.Millisecond,
			"B takes the lease (holder %q)", holder())
		// Only the leader's workspace controller makes a workspace Ready: B now does.
		b.CreateWorkspace(t, "root", "after-failover")
		b.Kubectl(path).MustRun(t, "get", "configmap", "via-b")
	})
}
