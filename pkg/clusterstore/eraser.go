package clusterstore

import (
	"context"
	"fmt"
	"strings"

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
	// Erased, when set, is told of each cluster EraseAndDelete removed everything of (to drop what is kept about it).
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

// eraseOpsPerTxn is how many range deletes EraseAndDelete sends in one etcd transaction: well under etcd's default
// --max-txn-ops (128), so that an etcd run with its defaults accepts them.
const eraseOpsPerTxn = 64

// StoredObject names a cluster-scoped object as it was read: where it is stored and at which revision.
type StoredObject struct {
	// ResourcePrefix is the storage prefix of its resource (see ResourcePrefix).
	ResourcePrefix string
	// Cluster is the logical cluster it is stored in.
	Cluster logicalcluster.Name
	// Name is its name.
	Name string
	// Revision is its resourceVersion when it was read: the etcd revision its key was last written at.
	Revision int64
}

// EraseAndDelete implements workspace.Eraser: it removes every object of cluster, its range deletes batched into
// a few etcd transactions instead of one round trip each (a workspace spans some twenty resource prefixes), and, in
// the transaction of the last range deletes, deletes obj if its key was not written since obj.Revision. It says
// whether it deleted obj; the erasure happens either way. The caller decides that obj, as read, may go (for a
// deleted Workspace: no finalizer left but the content's): the revision makes that decision hold for the object
// deleted, as the preconditions of a storage delete do. A Revision of 0 asks for the erasure alone.
func (e *Eraser) EraseAndDelete(ctx context.Context, cluster logicalcluster.Name, obj StoredObject) (bool, error) {
	if obj.Revision == 0 {
		return e.erase(ctx, cluster, nil)
	}
	if err := logicalcluster.ValidateName(string(obj.Cluster)); err != nil {
		return false, fmt.Errorf("refusing to delete: %w", err)
	}
	if obj.Revision < 0 || obj.ResourcePrefix == "" || obj.Name == "" || strings.Contains(obj.Name, "/") {
		return false, fmt.Errorf("refusing to delete %q under %q at revision %d", obj.Name, obj.ResourcePrefix, obj.Revision)
	}
	return e.erase(ctx, cluster, &obj)
}

// erase removes every object of cluster and, in the last transaction, obj if it is not nil and unchanged.
func (e *Eraser) erase(ctx context.Context, cluster logicalcluster.Name, obj *StoredObject) (bool, error) {
	if err := logicalcluster.ValidateName(string(cluster)); err != nil {
		return false, fmt.Errorf("refusing to erase: %w", err)
	}
	prefixes := e.Prefixes(cluster)
	deleted := false
	for first := true; first || len(prefixes) > 0; first = false {
		n := min(len(prefixes), eraseOpsPerTxn)
		ops := make([]clientv3.Op, 0, n+1)
		for _, prefix := range prefixes[:n] {
			ops = append(ops, clientv3.OpDelete(ClusterPrefix(e.Getter.Storage.Prefix, prefix, cluster), clientv3.WithPrefix()))
		}
		prefixes = prefixes[n:]
		txn := e.Client.Txn(ctx)
		if obj != nil && len(prefixes) == 0 {
			key := ClusterPrefix(e.Getter.Storage.Prefix, obj.ResourcePrefix, obj.Cluster) + obj.Name
			// The else branch erases all the same: only obj's deletion depends on its revision.
			txn = txn.If(clientv3.Compare(clientv3.ModRevision(key), "=", obj.Revision)).
				Then(append(ops, clientv3.OpDelete(key))...).Else(ops...)
		} else {
			txn = txn.Then(ops...)
		}
		resp, err := txn.Commit()
		if err != nil {
			return false, fmt.Errorf("erasing workspace %s: %w", cluster, err)
		}
		deleted = obj != nil && len(prefixes) == 0 && resp.Succeeded
	}
	if e.Erased != nil {
		e.Erased(cluster)
	}
	return deleted, nil
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
