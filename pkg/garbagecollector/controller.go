package garbagecollector

import (
	"context"
	"errors"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/workloop"
	"github.com/gantry-dev/gantry/sdk"
)

// Config is what the collector needs.
type Config struct {
	// Etcd is a client of the server's etcd.
	Etcd *clientv3.Client
	// Prefix is the storage prefix of every object, "/registry/".
	Prefix string
	// Clients makes privileged clients of a workspace; the collector acts through the API with them.
	Clients *sdk.Client
	// ServingSynced reports whether the server knows every workspace and custom resource: until then a 404 may mean
	// "not known yet", and the collector must not act on it.
	ServingSynced cache.InformerSynced
}

// Collector is the garbage collector of every workspace.
type Collector struct {
	config  Config
	decoder decoder
	graph   *graph
	queue   workqueue.TypedRateLimitingInterface[uidKey]

	mu     sync.Mutex
	synced bool
}

// New returns a collector; Run starts it.
func New(config Config) *Collector {
	return &Collector{
		config:  config,
		decoder: decoder{root: config.Prefix},
		graph:   newGraph(),
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[uidKey](),
			workqueue.TypedRateLimitingQueueConfig[uidKey]{Name: "garbagecollector"}),
	}
}

// HasSynced reports whether the collector has read every stored object once.
func (c *Collector) HasSynced() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.synced
}

// Run reads every stored object, then follows the etcd watch and processes owners with the given number of workers
// until ctx ends. A watch that fails (compaction) starts over with a fresh read.
func (c *Collector) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	go func() {
		if c.config.ServingSynced != nil && !cache.WaitForCacheSync(ctx.Done(), c.config.ServingSynced) {
			return
		}
		workloop.Run(ctx, c.queue, workers, "garbagecollector", c.process)
	}()
	logger := klog.FromContext(ctx)
	for ctx.Err() == nil {
		rev, err := c.scan(ctx)
		if err == nil {
			c.mu.Lock()
			c.synced = true
			c.mu.Unlock()
			err = c.follow(ctx, rev)
		}
		if ctx.Err() == nil {
			logger.Info("Garbage collector starts over", "err", err)
			time.Sleep(time.Second)
		}
	}
}

// scan reads every stored object into a fresh graph, queues the owners that are missing or wait for the collector,
// and returns the revision it read at.
func (c *Collector) scan(ctx context.Context) (int64, error) {
	fresh := newGraph()
	var queued []uidKey
	observe := func(key, value []byte) {
		o, err := c.decoder.decode(string(key), value)
		if err != nil {
			return // not an object (or not one the collector can read): nothing to collect
		}
		queued = append(queued, fresh.observe(o, false, time.Now())...)
	}
	rev, streamed, err := c.scanStream(ctx, observe)
	if !streamed {
		rev, err = c.scanPages(ctx, observe)
	}
	if err != nil {
		return 0, err
	}
	queued = append(queued, fresh.missingOwners(time.Now())...)
	c.graph.mu.Lock()
	c.graph.exists, c.graph.nodes, c.graph.dependents, c.graph.waiting, c.graph.gone = fresh.exists, fresh.nodes, fresh.dependents, fresh.waiting, fresh.gone
	c.graph.mu.Unlock()
	for _, k := range queued {
		c.queue.Add(k)
	}
	return rev, nil
}

// scanStream reads every stored object in one etcd range stream, at the revision etcd pins it to, and returns that
// revision; streamed is false when etcd has no range stream (before 3.7), and nothing was read. A stream is what
// kube-apiserver's own lists use: a paged read makes etcd count the rest of the range for every page, which
// over the whole store grows with the square of the number of objects (at 100,000 workspaces the pages took
// minutes, and held /readyz).
func (c *Collector) scanStream(ctx context.Context, observe func(key, value []byte)) (rev int64, streamed bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // a stream left unread ends with its context
	stream, err := c.config.Etcd.GetStream(ctx, c.config.Prefix, clientv3.WithRange(clientv3.GetPrefixRangeEnd(c.config.Prefix)))
	if err != nil {
		return 0, status.Code(err) != codes.Unimplemented, err
	}
	first := true
	for resp := range stream {
		if err := resp.Err(); err != nil {
			return 0, !first || status.Code(err) != codes.Unimplemented, err
		}
		first = false
		for _, kv := range resp.Kvs {
			observe(kv.Key, kv.Value)
		}
		if resp.Header != nil {
			rev = resp.Header.Revision // on the last chunk only
		}
	}
	if rev == 0 {
		return 0, true, errors.New("etcd range stream ended without a revision")
	}
	return rev, true, nil
}

// scanPages is scanStream for an etcd without range streams: pages of a fixed revision, large ones, since etcd
// counts the rest of the range for each.
func (c *Collector) scanPages(ctx context.Context, observe func(key, value []byte)) (int64, error) {
	const page = 5000
	end := clientv3.GetPrefixRangeEnd(c.config.Prefix)
	from, rev := c.config.Prefix, int64(0)
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(page)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		resp, err := c.config.Etcd.Get(ctx, from, opts...)
		if err != nil {
			return 0, err
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			observe(kv.Key, kv.Value)
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return rev, nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// follow applies every change after rev until the watch fails or ctx ends.
func (c *Collector) follow(ctx context.Context, rev int64) error {
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	for resp := range c.config.Etcd.Watch(ctx, c.config.Prefix, clientv3.WithPrefix(), clientv3.WithRev(rev+1), clientv3.WithPrevKV()) {
		if err := resp.Err(); err != nil {
			return err
		}
		for _, ev := range resp.Events {
			var queued []uidKey
			switch {
			case ev.Type == clientv3.EventTypeDelete && ev.PrevKv != nil:
				o, err := c.decoder.decode(string(ev.PrevKv.Key), ev.PrevKv.Value)
				if err != nil {
					continue
				}
				queued = c.graph.forget(o, time.Now())
			case ev.Type == clientv3.EventTypePut:
				o, err := c.decoder.decode(string(ev.Kv.Key), ev.Kv.Value)
				if err != nil {
					continue
				}
				queued = c.graph.observe(o, true, time.Now())
			}
			for _, k := range queued {
				c.queue.Add(k)
			}
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.New("etcd watch closed")
}

// clientFor returns a dynamic client for one workspace.
func (c *Collector) clientFor(cluster logicalcluster.Name) (dynamic.Interface, error) {
	return c.config.Clients.Dynamic(string(cluster))
}
