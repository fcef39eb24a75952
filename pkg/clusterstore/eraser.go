package clusterstore

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Eraser deletes stored objects with etcd range deletes: everything a logical cluster holds, one workspace's share
// of a resource, or a whole resource.
type Eraser struct {
	// Client reaches the etcd that RESTOptionsGetter stores in.
	Client *clientv3.Client
	// Getter knows every resource prefix in use.
	Getter *RESTOptionsGetter
	// Extra returns resource prefixes a workspace may hold objects under that storage was not yet handed out for
	// (custom resources are built on first use); nil means none.
	Extra func(cluster logicalcluster.Name) []string
	// Erased, when set, is told of each cluster Erase removed everything of (to drop what is kept about it).
	Erased func(cluster logicalcluster.Name)
}

// Prefixes returns every resource prefix cluster may hold objects under.
func (e *Eraser) Prefixes(cluster logicalcluster.Name) []string {
	var prefixes []string
	if e.Extra != nil {
		prefixes = e.Extra(cluster)
	}
	return append(prefixes, e.Getter.ResourcePrefixes()...)
}

// Erase implements workspace.Eraser: it removes every object of cluster.
func (e *Eraser) Erase(ctx context.Context, cluster logicalcluster.Name) error {
	if err := logicalcluster.ValidateName(string(cluster)); err != nil {
		return fmt.Errorf("refusing to erase: %w", err)
	}
	for _, prefix := range e.Prefixes(cluster) {
		if err := e.EraseShare(ctx, prefix, cluster); err != nil {
			return err
		}
	}
	if e.Erased != nil {
		e.Erased(cluster)
	}
	return nil
}

// EraseShare removes one workspace's objects under a resource prefix.
func (e *Eraser) EraseShare(ctx context.Context, resourcePrefix string, cluster logicalcluster.Name) error {
	if err := logicalcluster.ValidateName(string(cluster)); err != nil {
		return fmt.Errorf("refusing to erase: %w", err)
	}
	return e.deletePrefix(ctx, ClusterPrefix(e.Getter.Storage.Prefix, resourcePrefix, cluster))
}

// EraseResource removes every workspace's objects under a resource prefix (a deleted CRD's).
func (e *Eraser) EraseResource(ctx context.Context, resourcePrefix string) error {
	return e.deletePrefix(ctx, AllClustersPrefix(e.Getter.Storage.Prefix, resourcePrefix))
}

func (e *Eraser) deletePrefix(ctx context.Context, key string) error {
	if _, err := e.Client.Delete(ctx, key, clientv3.WithPrefix()); err != nil {
		return fmt.Errorf("erasing %s: %w", key, err)
	}
	return nil
}
