package garbagecollector

import (
	"bytes"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// objectRef identifies a stored object and says how to reach it through the API.
type objectRef struct {
	Cluster   logicalcluster.Name
	Resource  schema.GroupVersionResource
	Namespace string
	Name      string
	UID       types.UID
}

// object is what the collector needs of a stored object: where it is and its metadata.
type object struct {
	objectRef
	Owners            []metav1.OwnerReference
	Finalizers        []string
	DeletionTimestamp *metav1.Time
}

// protobufPrefix starts every protobuf-encoded Kubernetes object.
var protobufPrefix = []byte("k8s\x00")

// decoder turns etcd values into objects, reading metadata alone: from JSON (Gantry's kinds, custom resources)
// and from protobuf (the Kubernetes built-ins and CRDs), where every kind's message has its ObjectMeta as field 1,
// so no scheme is needed.
type decoder struct {
	// root is the storage prefix every key starts with.
	root string
}

// decode reads the object stored under key. The key gives the group and resource
// (clusterstore owns the layout); the value gives the version, the workspace and the metadata.
func (d decoder) decode(key string, value []byte) (*object, error) {
	gr, err := clusterstore.ResourceOfKey(d.root, key)
	if err != nil {
		return nil, err
	}
	group, resource := gr.Group, gr.Resource
	var (
		typeMeta metav1.TypeMeta
		m        metav1.Object
	)
	if bytes.HasPrefix(value, protobufPrefix) {
		envelope := &runtime.Unknown{}
		if err := envelope.Unmarshal(value[len(protobufPrefix):]); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", key, err)
		}
		partial := &metav1.PartialObjectMetadata{}
		if err := partial.Unmarshal(envelope.Raw); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", key, err)
		}
		typeMeta.APIVersion, typeMeta.Kind = envelope.APIVersion, envelope.Kind
		m = partial
	} else {
		partial := &metav1.PartialObjectMetadata{}
		if err := json.Unmarshal(value, partial); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", key, err)
		}
		typeMeta, m = partial.TypeMeta, partial
	}
	gv, err := schema.ParseGroupVersion(typeMeta.APIVersion)
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", key, err)
	}
	cluster := logicalcluster.Name(m.GetAnnotations()[logicalcluster.AnnotationKey])
	if logicalcluster.ValidateName(string(cluster)) != nil {
		return nil, fmt.Errorf("%s has no valid %s annotation", key, logicalcluster.AnnotationKey)
	}
	return &object{
		objectRef: objectRef{Cluster: cluster, Resource: schema.GroupVersionResource{Group: group, Version: gv.Version, Resource: resource},
			Namespace: m.GetNamespace(), Name: m.GetName(), UID: m.GetUID()},
		Owners:            m.GetOwnerReferences(),
		Finalizers:        m.GetFinalizers(),
		DeletionTimestamp: m.GetDeletionTimestamp(),
	}, nil
}
