package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// concurrentClients is the number of clients of the throughput row, each on its own connection.
const concurrentClients = 16

// Sample is what one batch of an operation measured on one server.
type Sample struct {
	// Latencies are the request (or event delivery) latencies.
	Latencies []time.Duration
	// Requests done in Elapsed, for the throughput row.
	Requests int
	Elapsed  time.Duration
}

// Batch says how much of an operation to run and names what it creates.
type Batch struct {
	// ID is unique per phase and round, so that created objects never collide.
	ID string
	// Scale multiplies each operation's count.
	Scale float64
	// ThroughputFor is how long the concurrent clients run.
	ThroughputFor time.Duration
}

func (b Batch) count(n int) int { return max(1, int(float64(n)*b.Scale)) }

// Operation is one measured row of the table.
type Operation struct {
	// Name is the row's label.
	Name string
	// Count is the number of requests (or events) of a batch at scale 1.
	Count int
	// Throughput marks the operation whose Sample also carries a request rate.
	Throughput bool
	// Run runs one batch of n requests (or events) against one server; it takes the Load first so that methods
	// of Load serve as Run.
	Run func(l *Load, ctx context.Context, n int, b Batch) (Sample, error)
}

// Operations are the rows, in the order they run and print. DELETE removes what CREATE made in the same batch.
func Operations() []Operation {
	ops := []Operation{{Name: "GET configmap", Count: 200, Run: (*Load).get}}
	for _, size := range listSizes {
		count := map[int]int{10: 100, 100: 60, 1000: 20}[size]
		ops = append(ops,
			Operation{Name: fmt.Sprintf("LIST %d configmaps, consistent", size), Count: count, Run: listOf(size, "")},
			Operation{Name: fmt.Sprintf("LIST %d configmaps, resourceVersion=0", size), Count: count, Run: listOf(size, "0")})
	}
	return append(ops,
		Operation{Name: "CREATE configmap", Count: 100, Run: (*Load).create},
		Operation{Name: "UPDATE configmap", Count: 100, Run: (*Load).update},
		Operation{Name: "PATCH configmap, strategic merge", Count: 100, Run: (*Load).patch},
		Operation{Name: "DELETE configmap", Count: 100, Run: (*Load).delete},
		Operation{Name: "CREATE custom resource", Count: 100, Run: (*Load).createWidget},
		Operation{Name: "GET custom resource", Count: 200, Run: (*Load).getWidget},
		Operation{Name: "WATCH delivery, 1 watcher", Count: 50, Run: watchWith(1)},
		Operation{Name: "WATCH delivery, 100 watchers", Count: 10, Run: watchWith(100)},
		Operation{Name: fmt.Sprintf("GET at %d clients", concurrentClients), Throughput: true, Run: (*Load).throughput},
	)
}

// Load holds one server's clients as the load user: protobuf for built-in types, JSON for the custom resource.
type Load struct {
	target  *Target
	cs      kubernetes.Interface
	dyn     dynamic.Interface
	clients []kubernetes.Interface // one per concurrent client, each on its own connection
	created map[string]int         // batch ID → configmaps CREATE made
	updated *corev1.ConfigMap
	watched *corev1.ConfigMap
	seq     int // the last value written to the watched configmap's "seq"
}

// NewLoad builds the load user's clients for t and reads the objects it updates.
func NewLoad(ctx context.Context, t *Target) (*Load, error) {
	l := &Load{target: t, created: map[string]int{}}
	var err error
	if l.cs, err = kubernetes.NewForConfig(t.User); err != nil {
		return nil, err
	}
	if l.dyn, err = dynamic.NewForConfig(t.User); err != nil {
		return nil, err
	}
	for range concurrentClients {
		c, err := kubernetes.NewForConfig(ownConnection(t.User))
		if err != nil {
			return nil, err
		}
		l.clients = append(l.clients, c)
	}
	if l.updated, err = l.cs.CoreV1().ConfigMaps(benchNamespace).Get(ctx, updatedName, metav1.GetOptions{}); err != nil {
		return nil, err
	}
	if l.watched, err = l.cs.CoreV1().ConfigMaps(watchNamespace).Get(ctx, watchedName, metav1.GetOptions{}); err != nil {
		return nil, err
	}
	l.seq, _ = strconv.Atoi(l.watched.Data["seq"])
	return l, nil
}

// timed runs f n times one after the other and returns each call's latency.
func timed(n int, f func(i int) error) (Sample, error) {
	s := Sample{Latencies: make([]time.Duration, 0, n)}
	for i := range n {
		begin := time.Now()
		if err := f(i); err != nil {
			return s, err
		}
		s.Latencies = append(s.Latencies, time.Since(begin))
	}
	return s, nil
}

func (l *Load) get(ctx context.Context, n int, _ Batch) (Sample, error) {
	return timed(n, func(int) error {
		_, err := l.cs.CoreV1().ConfigMaps(benchNamespace).Get(ctx, targetName, metav1.GetOptions{})
		return err
	})
}

// listOf lists the namespace holding size configmaps at resourceVersion rv ("" is a consistent read).
func listOf(size int, rv string) func(*Load, context.Context, int, Batch) (Sample, error) {
	return func(l *Load, ctx context.Context, n int, _ Batch) (Sample, error) {
		return timed(n, func(int) error {
			list, err := l.cs.CoreV1().ConfigMaps(listNamespace(size)).List(ctx, metav1.ListOptions{ResourceVersion: rv})
			// The namespace holds size configmaps and its rootCAName.
			if err == nil && len(list.Items) != size+1 {
				err = fmt.Errorf("listed %d configmaps in %s, want %d and %s", len(list.Items), listNamespace(size), size, rootCAName)
			}
			return err
		})
	}
}

func createdName(batch string, i int) string { return fmt.Sprintf("c-%s-%d", batch, i) }

func (l *Load) create(ctx context.Context, n int, b Batch) (Sample, error) {
	l.created[b.ID] = n
	return timed(n, func(i int) error {
		_, err := l.cs.CoreV1().ConfigMaps(benchNamespace).Create(ctx, newConfigMap(createdName(b.ID, i)), metav1.CreateOptions{})
		return err
	})
}

func (l *Load) delete(ctx context.Context, _ int, b Batch) (Sample, error) {
	return timed(l.created[b.ID], func(i int) error {
		return l.cs.CoreV1().ConfigMaps(benchNamespace).Delete(ctx, createdName(b.ID, i), metav1.DeleteOptions{})
	})
}

// update writes the same configmap again and again, each time from the version the last write returned.
func (l *Load) update(ctx context.Context, n int, _ Batch) (Sample, error) {
	return timed(n, func(i int) error {
		next := l.updated.DeepCopy()
		next.Data["seq"] = strconv.Itoa(i)
		got, err := l.cs.CoreV1().ConfigMaps(benchNamespace).Update(ctx, next, metav1.UpdateOptions{})
		if err == nil {
			l.updated = got
		}
		return err
	})
}

func (l *Load) patch(ctx context.Context, n int, b Batch) (Sample, error) {
	return timed(n, func(i int) error {
		body := fmt.Sprintf(`{"metadata":{"labels":{"batch":%q}},"data":{"seq":"%d"}}`, b.ID, i)
		_, err := l.cs.CoreV1().ConfigMaps(benchNamespace).Patch(ctx, patchedName, types.StrategicMergePatchType,
			[]byte(body), metav1.PatchOptions{})
		return err
	})
}

func (l *Load) createWidget(ctx context.Context, n int, b Batch) (Sample, error) {
	return timed(n, func(i int) error {
		w := &unstructured.Unstructured{Object: map[string]interface{}{
			"apiVersion": widgets.Group + "/" + widgets.Version, "kind": "Widget",
			"metadata": map[string]interface{}{"name": fmt.Sprintf("w-%s-%d", b.ID, i)},
			"spec":     map[string]interface{}{"size": int64(i), "color": "blue"},
		}}
		_, err := l.dyn.Resource(widgets).Namespace(benchNamespace).Create(ctx, w, metav1.CreateOptions{})
		return err
	})
}

func (l *Load) getWidget(ctx context.Context, n int, _ Batch) (Sample, error) {
	return timed(n, func(int) error {
		_, err := l.dyn.Resource(widgets).Namespace(benchNamespace).Get(ctx, fixedWidget, metav1.GetOptions{})
		return err
	})
}

// throughput has the concurrent clients GET one configmap as fast as they can for b.ThroughputFor.
func (l *Load) throughput(ctx context.Context, _ int, b Batch) (Sample, error) {
	return l.concurrently(ctx, b.ThroughputFor, getTarget)
}

// getTarget is the request of the throughput row.
func getTarget(ctx context.Context, c kubernetes.Interface) error {
	_, err := c.CoreV1().ConfigMaps(benchNamespace).Get(ctx, targetName, metav1.GetOptions{})
	return err
}

// concurrently has each concurrent client send request after request for d, and returns every latency and the
// request count.
func (l *Load) concurrently(ctx context.Context, d time.Duration, request func(context.Context, kubernetes.Interface) error) (Sample, error) {
	var (
		mu    sync.Mutex
		s     Sample
		first error
		wg    sync.WaitGroup
	)
	begin := time.Now()
	deadline := begin.Add(d)
	for _, c := range l.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			var err error
			for time.Now().Before(deadline) {
				start := time.Now()
				if err = request(ctx, c); err != nil {
					break
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			defer mu.Unlock()
			s.Latencies = append(s.Latencies, mine...)
			if err != nil && first == nil {
				first = err
			}
		}()
	}
	wg.Wait()
	s.Requests, s.Elapsed = len(s.Latencies), time.Since(begin)
	return s, first
}

// watchWith measures event delivery to the given number of watchers of the watch namespace: the time from the
// start of an UPDATE of the watched configmap to each watcher's receipt of its event. Every watcher's receipt
// is one latency, so that p99 is the tail across watchers. One event first, not measured, proves every watch open.
func watchWith(watchers int) func(*Load, context.Context, int, Batch) (Sample, error) {
	return func(l *Load, ctx context.Context, n int, _ Batch) (Sample, error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		type receipt struct {
			seq int
			at  time.Time
		}
		receipts := make(chan receipt, watchers*(n+2))
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()
		for range watchers {
			w, err := l.cs.CoreV1().ConfigMaps(watchNamespace).Watch(ctx, metav1.ListOptions{ResourceVersion: l.watched.ResourceVersion})
			if err != nil {
				return Sample{}, err
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer w.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case ev, ok := <-w.ResultChan():
						if !ok {
							return
						}
						if cm, isCM := ev.Object.(*corev1.ConfigMap); isCM {
							seq, _ := strconv.Atoi(cm.Data["seq"])
							receipts <- receipt{seq: seq, at: time.Now()}
						}
					}
				}
			}()
		}
		var s Sample
		for i := 0; i <= n; i++ {
			l.seq++
			next := l.watched.DeepCopy()
			next.Data["seq"] = strconv.Itoa(l.seq)
			sent := time.Now()
			got, err := l.cs.CoreV1().ConfigMaps(watchNamespace).Update(ctx, next, metav1.UpdateOptions{})
			if err != nil {
				return s, err
			}
			l.watched = got
			timeout := time.After(time.Minute)
			for seen := 0; seen < watchers; {
				select {
				case r := <-receipts:
					if r.seq != l.seq {
						continue // an event of the warm-up or a late duplicate
					}
					seen++
					if i > 0 {
						s.Latencies = append(s.Latencies, r.at.Sub(sent))
					}
				case <-timeout:
					return s, fmt.Errorf("%d of %d watchers got event %d within a minute", seen, watchers, l.seq)
				}
			}
		}
		return s, nil
	}
}
