package workloop

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"k8s.io/client-go/util/workqueue"
)

func TestRunRetriesAndRequeues(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	defer queue.ShutDown()
	var mu sync.Mutex
	seen := map[string]int{}
	Run(ctx, queue, 2, "test", func(_ context.Context, key string) error {
		mu.Lock()
		defer mu.Unlock()
		seen[key]++
		switch {
		case key == "fails" && seen[key] < 3:
			return errors.New("boom")
		case key == "waits" && seen[key] < 2:
			return Again(10 * time.Millisecond)
		}
		return nil
	})
	for _, k := range []string{"ok", "fails", "waits"} {
		queue.Add(k)
	}
	assert.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return seen["ok"] == 1 && seen["fails"] == 3 && seen["waits"] == 2
	}, 5*time.Second, 5*time.Millisecond)
}
