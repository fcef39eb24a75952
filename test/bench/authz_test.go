package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/gantry-dev/gantry/test/harness"
)

// BenchmarkAuthorizationCost compares GET latency in a workspace holding GANTRY_BENCH_ROLEBINDINGS (default
// 1,000) RoleBindings for a user judged by RBAC, against a user in system:masters, whom the privileged-group
// check allows before RBAC runs (the always-allow baseline). Both authenticate with a bearer token, so only
// authorization differs.
func BenchmarkAuthorizationCost(b *testing.B) {
	n := envInt("GANTRY_BENCH_ROLEBINDINGS", 1000)
	tokens := filepath.Join(b.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("bench-token,bench-user,uid-bench\nmaster-token,bench-master,uid-master,\"system:masters\"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	s := harness.Start(b, "--token-auth-file", tokens)
	path, _ := s.CreateWorkspace(b, "root", "authz")
	admin, _ := s.Clients(b, path)
	ctx := context.Background()
	if _, err := admin.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "target"}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			subject := fmt.Sprintf("user-%d", i)
			if i == n-1 {
				subject = "bench-user" // the one binding that matters is the last of many
			}
			_, err := admin.RbacV1().RoleBindings("default").Create(ctx, &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb-%d", i)},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
				Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: subject}},
			}, metav1.CreateOptions{})
			if err != nil {
				b.Error(err)
			}
		}(i)
	}
	wg.Wait()
	userCfg, err := s.RESTConfigAs(path, "bench-token")
	if err != nil {
		b.Fatal(err)
	}
	user := kubernetes.NewForConfigOrDie(userCfg)
	// Wait until the RBAC index has the user's binding.
	for {
		if _, err := user.CoreV1().ConfigMaps("default").Get(ctx, "target", metav1.GetOptions{}); err == nil {
			break
		}
	}
	get := func(b *testing.B, c kubernetes.Interface) {
		for i := 0; i < b.N; i++ {
			if _, err := c.CoreV1().ConfigMaps("default").Get(ctx, "target", metav1.GetOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	masterCfg, err := s.RESTConfigAs(path, "master-token")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("always-allow-baseline", func(b *testing.B) { get(b, kubernetes.NewForConfigOrDie(masterCfg)) })
	b.Run(fmt.Sprintf("rbac-%d-rolebindings", n), func(b *testing.B) { get(b, user) })
}
