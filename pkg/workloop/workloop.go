package workloop

import (
	"context"
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// againError asks for a key to be processed again after a delay; it is not a failure and is not logged.
type againError struct{ after time.Duration }

func (e againError) Error() string { return "process again after " + e.after.String() }

// Again returns the error with which Process asks to see its key again after the given delay: waiting for
// something to happen, not failing.
func Again(after time.Duration) error { return againError{after} }

// Run starts workers that process keys from queue until it shuts down (the caller shuts it down when ctx ends).
// A Process error other than Again is logged with name and retried with the queue's rate limit.
func Run[K comparable](ctx context.Context, queue workqueue.TypedRateLimitingInterface[K], workers int, name string, process func(context.Context, K) error) {
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, func(ctx context.Context) {
			for next(ctx, queue, name, process) {
			}
		}, time.Second)
	}
}

func next[K comparable](ctx context.Context, queue workqueue.TypedRateLimitingInterface[K], name string, process func(context.Context, K) error) bool {
	key, quit := queue.Get()
	if quit {
		return false
	}
	defer queue.Done(key)
	err := process(ctx, key)
	var again againError
	switch {
	case err == nil:
		queue.Forget(key)
	case errors.As(err, &again):
		queue.Forget(key)
		queue.AddAfter(key, again.after)
	default:
		klog.FromContext(ctx).Info("Reconcile failed, will retry", "controller", name, "key", key, "err", err)
		queue.AddRateLimited(key)
	}
	return true
}
