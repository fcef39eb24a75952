package syncer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	"k8s.io/klog/v2"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/sdk"
)

const (
	// SyncTargetLabel marks every downstream namespace and object a syncer owns; its value is the target's
	// computev1alpha1.TargetKey. The syncer never touches a downstream object without it.
	SyncTargetLabel = "workload.gantry.dev/sync-target"
	// NamespaceLocatorAnnotation on a downstream namespace says, as JSON (a NamespaceLocator), which workspace's
	// namespace it holds, for the syncer and for people reading the downstream cluster.
	NamespaceLocatorAnnotation = "workload.gantry.dev/namespace-locator"
	// UpstreamAnnotation on a downstream object says, as JSON (an ObjectLocator), which upstream object it copies.
	UpstreamAnnotation = "workload.gantry.dev/upstream"
	// UpstreamGenerationAnnotation on a downstream object is the upstream metadata.generation the syncer applied,
	// so that a status describing the downstream copy's generation can be said to describe the upstream one.
	UpstreamGenerationAnnotation = "workload.gantry.dev/upstream-generation"
	// namespacePrefix starts every downstream namespace name the syncer makes.
	namespacePrefix = "gantry-"
)

// TargetReference names the SyncTarget a downstream namespace was made for.
type TargetReference struct {
	// Path is the compute workspace's path.
	Path string `json:"path"`
	// Name is the SyncTarget's name.
	Name string `json:"name"`
}

// NamespaceLocator is the value of NamespaceLocatorAnnotation.
type NamespaceLocator struct {
	// Cluster is the logical cluster of the upstream namespace.
	Cluster string `json:"cluster"`
	// Namespace is the upstream namespace.
	Namespace string `json:"namespace"`
	// SyncTarget is the target whose syncer made the namespace.
	SyncTarget TargetReference `json:"syncTarget"`
}

// ObjectLocator is the value of UpstreamAnnotation.
type ObjectLocator struct {
	// Cluster is the upstream object's logical cluster.
	Cluster string `json:"cluster"`
	// Namespace is the upstream object's namespace.
	Namespace string `json:"namespace,omitempty"`
	// Name is the upstream object's name.
	Name string `json:"name"`
}

// DownstreamNamespace is the downstream namespace of an upstream namespace of a logical cluster: the same in every
// downstream cluster and every run, distinct for the same namespace name in two workspaces, and a valid DNS label
// (23 characters) however long the inputs.
func DownstreamNamespace(cluster, namespace string) string {
	sum := sha256.Sum256([]byte(cluster + "/" + namespace))
	return namespacePrefix + hex.EncodeToString(sum[:])[:16]
}

// encodeJSON marshals a locator; they hold only strings, so it cannot fail.
func encodeJSON(v interface{}) string {
	data, _ := json.Marshal(v)
	return string(data)
}

// ParseObjectLocator reads UpstreamAnnotation's value.
func ParseObjectLocator(s string) (ObjectLocator, error) {
	var l ObjectLocator
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return l, fmt.Errorf("%s %q: %w", UpstreamAnnotation, s, err)
	}
	if l.Cluster == "" || l.Name == "" {
		return l, fmt.Errorf("%s %q: cluster or name missing", UpstreamAnnotation, s)
	}
	return l, nil
}

// ParseNamespaceLocator reads NamespaceLocatorAnnotation's value.
func ParseNamespaceLocator(s string) (NamespaceLocator, error) {
	var l NamespaceLocator
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return l, fmt.Errorf("%s %q: %w", NamespaceLocatorAnnotation, s, err)
	}
	return l, nil
}

// ensureNamespace applies the downstream namespace of an upstream one. Applying every time is cheap (an unchanged
// apply writes nothing) and recreates a namespace someone deleted by hand.
func (s *Syncer) ensureNamespace(ctx context.Context, cluster, namespace string) (string, error) {
	name := DownstreamNamespace(cluster, namespace)
	if ns, err := s.namespaces.Get(name); err == nil && ns.DeletionTimestamp == nil {
		return name, nil
	}
	return s.applyNamespace(ctx, cluster, namespace)
}

// applyNamespace applies the downstream namespace of an upstream one.
func (s *Syncer) applyNamespace(ctx context.Context, cluster, namespace string) (string, error) {
	name := DownstreamNamespace(cluster, namespace)
	locator := NamespaceLocator{Cluster: cluster, Namespace: namespace, SyncTarget: TargetReference{Path: s.path, Name: s.name}}
	ac := corev1ac.Namespace(name).
		WithLabels(map[string]string{SyncTargetLabel: s.key}).
		WithAnnotations(map[string]string{NamespaceLocatorAnnotation: encodeJSON(locator)})
	_, err := s.down.CoreV1().Namespaces().Apply(ctx, ac, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return "", fmt.Errorf("downstream namespace %s for %s/%s: %w", name, cluster, namespace, err)
	}
	return name, nil
}

// cleanupNamespace deletes a downstream namespace of ours once no synced object is left in it, so that objects
// leaving the target leave nothing behind. Namespaces without our label are never touched.
func (s *Syncer) cleanupNamespace(ctx context.Context, name string) error {
	ns, err := s.namespaces.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ns.Labels[SyncTargetLabel] != s.key || ns.DeletionTimestamp != nil {
		return nil
	}
	if s.objectsIn(name) > 0 {
		return nil
	}
	if locator, err := ParseNamespaceLocator(ns.Annotations[NamespaceLocatorAnnotation]); err == nil && s.upstreamWants(locator.Cluster, locator.Namespace) {
		// An object is about to be synced into it (its copy is not there yet): deleting now would only make its
		// apply fail while the namespace terminates.
		return nil
	}
	klog.FromContext(ctx).Info("deleting the empty downstream namespace", "namespace", name)
	err = s.down.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{
		Preconditions: &metav1.Preconditions{UID: &ns.UID},
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil
	}
	return err
}

// namespaceChanged re-enqueues what a downstream namespace event concerns: a deleted namespace's upstream objects
// (so that they are recreated), and the namespace itself (so that an empty one, left by a restart, goes away).
func (s *Syncer) namespaceChanged(obj interface{}) {
	ns, ok := obj.(*corev1.Namespace)
	if !ok {
		return
	}
	s.queue.Add(key{Namespace: ns.Name, namespaceOnly: true})
	locator, err := ParseNamespaceLocator(ns.Annotations[NamespaceLocatorAnnotation])
	if err != nil {
		return
	}
	s.enqueueUpstreamNamespace(locator.Cluster, locator.Namespace, nil)
}

// upstreamWants reports whether any upstream object of a workspace's namespace is to run on the target (state Sync,
// not being deleted).
func (s *Syncer) upstreamWants(cluster, namespace string) bool {
	for _, r := range s.resources() {
		objs, _ := r.upstream.Indexer().ByIndex(sdk.ClusterIndex, cluster)
		for _, obj := range objs {
			m, err := meta.Accessor(obj)
			if err == nil && m.GetNamespace() == namespace && m.GetDeletionTimestamp() == nil &&
				m.GetLabels()[s.stateLabel] == computev1alpha1.ResourceStateSync {
				return true
			}
		}
	}
	return false
}
