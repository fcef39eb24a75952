package bench

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
)

// workspaceWatch follows a collection of workspaces, through the server ending the watch, until a state the
// caller waits for is reached.
type workspaceWatch struct {
	// event takes one watch event and says whether the awaited state is reached.
	event func(watch.Event) bool
	// relisted takes the list made after the server ended the watch (as it does to a watcher that falls behind;
	// what happened meanwhile is only seen there) and says whether the awaited state is reached.
	relisted func(items []unstructured.Unstructured) bool
}

// start lists ws and watches from there in the background; the returned channel is closed once the awaited state
// is reached. stop ends the watch and logs, naming it what, how often it had to be listed and watched again.
func (ww workspaceWatch) start(ctx context.Context, b *testing.B, ws dynamic.ResourceInterface, what string) (reached <-chan struct{}, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	list, err := ws.List(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	w, err := ws.Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion()})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	var rewatches atomic.Int64
	go func() {
		defer func() { w.Stop() }()
		for {
			for ev := range w.ResultChan() {
				if ev.Type != watch.Error && ww.event(ev) {
					close(done)
					return
				}
			}
			for {
				if ctx.Err() != nil {
					return
				}
				rewatches.Add(1)
				list, err := ws.List(ctx, metav1.ListOptions{})
				if err == nil {
					if ww.relisted(list.Items) {
						close(done)
						return
					}
					if w, err = ws.Watch(ctx, metav1.ListOptions{ResourceVersion: list.GetResourceVersion()}); err == nil {
						break
					}
				}
				time.Sleep(time.Second)
			}
		}
	}()
	return done, func() {
		cancel()
		if r := rewatches.Load(); r > 0 {
			b.Logf("the server ended the %s watch; listed and watched again %d times", what, r)
		}
	}
}
