package e2e

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/gantry-dev/gantry/test/harness"
)

// TestSIGTERMEndsOpenWatches: gantry ends its long-running requests when it is told to stop, instead of waiting
// for them (their timeout is 30 to 60 minutes) or for its shutdown timeout: the process exits and each open watch,
// over HTTP/2 and over HTTP/1.1, sees its end.
func TestSIGTERMEndsOpenWatches(t *testing.T) {
	s := harness.Start(t)
	ctx := context.Background()
	open := func(http1 bool) (*kubernetes.Clientset, watch.Interface) {
		cfg, err := s.RESTConfig("root")
		require.NoError(t, err)
		if http1 {
			cfg.TLSClientConfig.NextProtos = []string{"http/1.1"}
		}
		client, err := kubernetes.NewForConfig(cfg)
		require.NoError(t, err)
		w, err := client.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		t.Cleanup(w.Stop)
		return client, w
	}
	client, overHTTP2 := open(false)
	_, overHTTP1 := open(true)
	_, err := client.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "seen"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	for name, w := range map[string]watch.Interface{"HTTP/2": overHTTP2, "HTTP/1.1": overHTTP1} {
		select {
		case ev := <-w.ResultChan():
			require.Equal(t, watch.Added, ev.Type, "the %s watch is open", name)
		case <-time.After(30 * time.Second):
			t.Fatalf("the %s watch saw nothing", name)
		}
	}

	require.NoError(t, s.Signal(syscall.SIGTERM))
	// Generous bounds: what is checked is that the watches do not hold the server up, not how fast it stops.
	select {
	case <-s.Exited():
	case <-time.After(30 * time.Second):
		t.Fatalf("gantry still runs 30s after SIGTERM with two open watches\n%s", s.Logs())
	}
	for name, w := range map[string]watch.Interface{"HTTP/2": overHTTP2, "HTTP/1.1": overHTTP1} {
		ended := time.After(30 * time.Second)
	drain:
		for {
			select {
			case _, ok := <-w.ResultChan():
				if !ok {
					break drain
				}
			case <-ended:
				t.Fatalf("the %s watch did not end when gantry stopped", name)
			}
		}
	}
}
