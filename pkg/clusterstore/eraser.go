package clusterstore

import (
	"context"
	"fmt"
	"path"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Eraser deletes everything a logical cluster holds, resource by resource, with one etcd range delete each.
type Eraser struct {
	// Client reaches the etcd that RESTOptionsGetter stores in.
	Client *clientv3.Client
	// Getter knows every resource prefix in use.
	Getter *RESTOptionsGetter
}

// Erase implements workspace.Eraser.
func (e *Eraser) Erase(ctx context.Context, cluster logicalcluster.Name) error {
	if err := logicalcluster.ValidateName(string(cluster)); err != nil {
		return fmt.Errorf("refusing to erase: %w", err)
	}
	for _, prefix := range e.Getter.ResourcePrefixes() {
		key := path.Join("/", e.Getter.Storage.Prefix, prefix, string(cluster)) + "/"
		if _, err := e.Client.Delete(ctx, key, clientv3.WithPrefix()); err != nil {
			return fmt.Errorf("erasing %s: %w", key, err)
		}
	}
	return nil
}
