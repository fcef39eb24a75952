// Package syncer is gantry-syncer: the agent that runs next to one downstream Kubernetes cluster for one
// SyncTarget. It reads the objects placed on the target through the target's virtual workspace
// (/services/syncer/<compute path>/<name>/clusters/*), applies them to the downstream cluster (one namespace per
// workspace and namespace, CRDs from the virtual workspace), copies their status back, removes copies that leave,
// and reports the cluster's capacity and GPUs in the SyncTarget's status.
//
// Build a Config, then New and Run:
//
//	s, err := syncer.New(syncer.Config{From: gantry, To: downstream, SyncTargetPath: "root:compute",
//		SyncTargetName: "gpu", Resync: 10 * time.Minute, HeartbeatPeriod: 10 * time.Second})
//	...
//	err = s.Run(ctx)
//
// Files: syncer.go wires clients, informers and the queue; resources.go discovers what is served; crds.go installs
// CRDs; spec.go syncs objects down and removes them; status.go copies status up (or, for an object on several targets, reports the cluster's view in an annotation); namespaces.go names and cleans up
// downstream namespaces; heartbeat.go and gpus.go report the fuel; serve.go serves metrics and probes. The protocol
// (state label, finalizer) is computev1alpha1's; docs/compute.md describes the behaviour.
package syncer
