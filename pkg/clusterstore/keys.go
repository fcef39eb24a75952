package clusterstore

import (
	"fmt"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// The etcd key layout is owned here; every other package asks these functions.
//
//	<root>/<group|core>/<resource>/<cluster>/[<namespace>/]<name>             built-in and Gantry resources
//	<root>/<group>/<resource>/<identity>/<cluster>/[<namespace>/]<name>       custom resources
//
// root is the storage prefix ("/registry"). A custom resource's identity is its CRD's UID, or the identity hash of
// the APIExport it is bound from, so that two schemas for one group/resource never share a prefix.

// ResourcePrefix is the storage prefix of a resource, below the root and above the cluster.
func ResourcePrefix(resource schema.GroupResource) string {
	group := resource.Group
	if group == "" {
		group = "core"
	}
	return group + "/" + resource.Resource
}

// CustomResourcePrefix is the storage prefix of a custom resource served under a schema identity.
func CustomResourcePrefix(resource schema.GroupResource, identity string) string {
	return path.Join("/", ResourcePrefix(resource), identity)
}

// ClusterPrefix is the etcd key prefix of one workspace's objects of a resource prefix, ending in "/".
func ClusterPrefix(root, resourcePrefix string, cluster logicalcluster.Name) string {
	return path.Join("/", root, resourcePrefix, string(cluster)) + "/"
}

// AllClustersPrefix is the etcd key prefix of every workspace's objects of a resource prefix, ending in "/".
func AllClustersPrefix(root, resourcePrefix string) string {
	return path.Join("/", root, resourcePrefix) + "/"
}

// ResourceOfKey returns the group and resource an object's etcd key belongs to.
func ResourceOfKey(root, key string) (schema.GroupResource, error) {
	rest, ok := strings.CutPrefix(key, path.Join("/", root)+"/")
	segments := strings.Split(rest, "/")
	if !ok || len(segments) < 4 {
		return schema.GroupResource{}, fmt.Errorf("key %q is not an object's", key)
	}
	group := segments[0]
	if group == "core" {
		group = ""
	}
	return schema.GroupResource{Group: group, Resource: segments[1]}, nil
}
