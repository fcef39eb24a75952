package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
)

// The placement protocol, shared by the server (placement controller, admission, the syncer's virtual workspace)
// and gantry-syncer. An object is placed on a SyncTarget while it carries the target's state label; the label's
// value says what the target's syncer does with it.
const (
	// StateLabelPrefix starts the label that places an object on a SyncTarget; StateLabel completes it.
	StateLabelPrefix = "state.workload.gantry.dev/"
	// ResourceStateSync is the state label's value while the object is to run on the target.
	ResourceStateSync = "Sync"
	// ResourceStateDelete is the state label's value once the object is to leave the target: its syncer removes the
	// downstream copy, then its finalizer and the label, and the object leaves the target's view.
	ResourceStateDelete = "Delete"
	// SyncerFinalizerPrefix starts the finalizer a target's syncer holds on an upstream object while a downstream
	// copy may exist; SyncerFinalizer completes it.
	SyncerFinalizerPrefix = "workload.gantry.dev/syncer-"
	// ClusterAnnotation names the logical cluster an object is stored in (as every object read across workspaces
	// carries it).
	ClusterAnnotation = "gantry.dev/cluster"
	// SyncVerb is what a SyncTarget's syncer holds on it: it opens the target's syncer virtual workspace, and lets
	// the syncer read that one target and write its status.
	SyncVerb = "sync"
	// UseVerb is what a Placement's creator needs on a SyncTarget for the Placement to choose it.
	UseVerb = "use"
	// StatusAnnotationPrefix starts the annotation in which a target's syncer reports its cluster's view of an
	// object (the downstream status as JSON) while the object is placed on more than one target, so that the
	// syncers never write one status in turn; StatusAnnotation completes it, and Gantry aggregates the views.
	StatusAnnotationPrefix = "experimental.status.workload.gantry.dev/"
)

// StatusAnnotation is the annotation with the view of the SyncTarget name of cluster.
func StatusAnnotation(cluster, name string) string {
	return StatusAnnotationPrefix + TargetKey(cluster, name)
}

// SyncStates counts the targets an object is placed on for running: its state labels whose value is Sync.
func SyncStates(labels map[string]string) int {
	n := 0
	for k, v := range labels {
		if v == ResourceStateSync && len(k) > len(StateLabelPrefix) && k[:len(StateLabelPrefix)] == StateLabelPrefix {
			n++
		}
	}
	return n
}

// TargetKey is a stable, label-safe identifier of the SyncTarget name in the logical cluster of its compute
// workspace: 20 hex digits of the SHA-256 of "<cluster>|<name>".
func TargetKey(cluster, name string) string {
	sum := sha256.Sum256([]byte(cluster + "|" + name))
	return hex.EncodeToString(sum[:10])
}

// StateLabel is the label an object carries while it is placed on the SyncTarget name of cluster.
func StateLabel(cluster, name string) string { return StateLabelPrefix + TargetKey(cluster, name) }

// SyncerFinalizer is the finalizer of the syncer of the SyncTarget name of cluster.
func SyncerFinalizer(cluster, name string) string {
	return SyncerFinalizerPrefix + TargetKey(cluster, name)
}
