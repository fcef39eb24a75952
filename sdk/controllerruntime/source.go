package controllerruntime

import (
	"context"
	"fmt"

	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/gantry-dev/gantry/sdk"
)

// Request names an object in one workspace.
type Request struct {
	// Cluster is the object's logical cluster.
	Cluster string
	// Namespace is empty for a cluster-scoped object.
	Namespace string
	// Name is the object's name.
	Name string
}

// String is "<cluster>|<namespace>/<name>".
func (r Request) String() string {
	if r.Namespace == "" {
		return r.Cluster + "|" + r.Name
	}
	return r.Cluster + "|" + r.Namespace + "/" + r.Name
}

// Source returns a controller-runtime source that runs the informer and queues a Request for every object it adds,
// changes or deletes. Register no handler on the informer after the controller starts.
func Source(informer *sdk.WildcardInformer) source.TypedSyncingSource[Request] {
	return &informerSource{informer: informer}
}

type informerSource struct {
	informer *sdk.WildcardInformer
}

// Start implements source.TypedSource.
func (s *informerSource) Start(ctx context.Context, queue workqueue.TypedRateLimitingInterface[Request]) error {
	s.informer.AddHandler(enqueue{queue})
	go s.informer.Run(ctx)
	return nil
}

// WaitForSync implements source.TypedSyncingSource.
func (s *informerSource) WaitForSync(ctx context.Context) error {
	if !cache.WaitForCacheSync(ctx.Done(), s.informer.HasSynced) {
		return fmt.Errorf("the wildcard informer did not sync: %w", ctx.Err())
	}
	return nil
}

// enqueue turns informer events into requests.
type enqueue struct {
	queue workqueue.TypedRateLimitingInterface[Request]
}

func (e enqueue) add(key string) {
	cluster, namespace, name := sdk.SplitClusterKey(key)
	e.queue.Add(Request{Cluster: cluster, Namespace: namespace, Name: name})
}

func (e enqueue) OnAdd(key string, _ interface{})       { e.add(key) }
func (e enqueue) OnUpdate(key string, _, _ interface{}) { e.add(key) }
func (e enqueue) OnDelete(key string, _ interface{})    { e.add(key) }
