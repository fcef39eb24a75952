// Package statusaggregate writes the status of objects placed on more than one SyncTarget. While an object carries
// several Sync state labels, each target's gantry-syncer reports its cluster's view of the object in its own
// annotation, experimental.status.workload.gantry.dev/<target key>, instead of writing status, so that syncers
// never overwrite each other. This controller reads those views (through the virtual workspace of every APIExport
// a SyncTarget supports, across all workspaces) and writes status as their aggregate:
//
//   - Deployments (apps): replica counts summed, conditions merged, observedGeneration the minimum (MergeDeployment);
//   - InferenceServices (serving.gantry.dev): the worst health with the cluster named, one status.clusters[] row per
//     cluster, replicas summed, components of every cluster (MergeInferenceService);
//   - anything else: the status of the first cluster in name order (MergeFirst).
//
// The merging rules are pure functions (merge.go); controller.go holds the wiring and queue, watch.go which
// resources are watched, and aggregate.go the one reconcile step.
package statusaggregate
