package workspacemetrics

import (
	"context"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Objects counts the objects a workspace stores, resource by resource, with etcd count-only range reads (no
// object is read or decoded).
type Objects struct {
	// Client reaches the etcd the server stores in.
	Client *clientv3.Client
	// Root is the storage prefix ("/registry").
	Root string
	// Prefixes returns every resource prefix cluster may hold objects under (clusterstore.Eraser's list).
	Prefixes func(cluster logicalcluster.Name) []string
}

// Count returns the number of objects cluster stores, by resource ("configmaps", "widgets.example.com").
func (o *Objects) Count(ctx context.Context, cluster logicalcluster.Name) (map[string]int64, error) {
	out := map[string]int64{}
	for _, prefix := range o.Prefixes(cluster) {
		resp, err := o.Client.Get(ctx, clusterstore.ClusterPrefix(o.Root, prefix, cluster), clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err != nil {
			return nil, fmt.Errorf("counting objects under %s: %w", prefix, err)
		}
		if resp.Count > 0 {
			out[resourceOfPrefix(prefix)] += resp.Count
		}
	}
	return out, nil
}

// resourceOfPrefix names the resource of a storage prefix ("core/configmaps", "/example.com/widgets/<identity>") as
// kubectl does: "configmaps", "widgets.example.com". Two schemas of one resource add up.
func resourceOfPrefix(prefix string) string {
	segments := strings.Split(strings.TrimPrefix(prefix, "/"), "/")
	if len(segments) < 2 {
		return prefix
	}
	if segments[0] == "core" {
		return segments[1]
	}
	return segments[1] + "." + segments[0]
}
