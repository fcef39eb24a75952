// Package placement decides where each workspace's objects run. For every Placement it chooses one SyncTarget of
// its location workspace (one the Placement's owner may "use", Ready, schedulable, with the most free GPUs, and
// kept while it works), records the choice in the Placement's status, and labels the namespaces the Placement
// selects, and every syncable object in them, with the target's state label (computev1alpha1.StateLabel). A
// label that no longer applies turns to Delete: the target's syncer then removes its copy and drops the label.
//
// One controller serves every workspace from wildcard indexes. Admission (pkg/admission) records each
// Placement's owner, checks "use" at creation, and labels objects as they are created.
package placement
