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

// eraseOpsPerTxn is how many range deletes Erase sends in one etcd transaction: well under etcd's default
// --max-txn-ops (128), so that an etcd run with its defaults accepts them.
const eraseOpsPerTxn = 64

// Erase implements workspace.Eraser: it removes every object of cluster, its range deletes batched into a few
// etcd transactions instead of one round trip each (a workspace spans some twenty resource prefixes).
func (e *Eraser) Erase(ctx context.Context, cluster logicalcluster.Name) error {
	if err := logicalcluster.ValidateName(string(cluster)); err != nil {
		return fmt.Errorf("refusing to erase: %w", err)
	}
	prefixes := e.Prefixes(cluster)
	for len(prefixes) > 0 {
		n := min(len(prefixes), eraseOpsPerTxn)
		ops := make([]clientv3.Op, 0, n)
		for _, prefix := range prefixes[:n] {
			ops = append(ops, clientv3.OpDelete(ClusterPrefix(e.Getter.Storage.Prefix, prefix, cluster), clientv3.WithPrefix()))
		}
		if _, err := e.Client.Txn(ctx).Then(ops...).Commit(); err != nil {
			return fmt.Errorf("erasing workspace %s: %w", cluster, err)
		}
		prefixes = prefixes[n:]
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
