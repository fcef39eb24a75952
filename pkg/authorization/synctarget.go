package authorization

import (
	"k8s.io/apiserver/pkg/authorization/authorizer"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

// SyncVerb is the verb a gantry-syncer holds on its SyncTarget: it opens the target's syncer virtual workspace
// (pkg/virtualworkspace) and, here, lets the syncer read that one target and write its status (heartbeats, GPUs),
// so that a syncer's role is exactly {resources: [synctargets], resourceNames: [NAME], verbs: [sync]}.
const SyncVerb = computev1alpha1.SyncVerb

// syncTargetGrant returns the check that stands in for a request a syncer makes about its own SyncTarget: reading
// it by name (get, or list and watch of that name) or writing its status. Other requests, and requests without a
// name, have none.
func syncTargetGrant(a authorizer.Attributes) (authorizer.Attributes, bool) {
	if !a.IsResourceRequest() || a.GetAPIGroup() != computev1alpha1.GroupName || a.GetResource() != "synctargets" || a.GetName() == "" {
		return nil, false
	}
	switch {
	case a.GetSubresource() == "" && (a.GetVerb() == "get" || a.GetVerb() == "list" || a.GetVerb() == "watch"):
	case a.GetSubresource() == "status" && (a.GetVerb() == "get" || a.GetVerb() == "update" || a.GetVerb() == "patch"):
	default:
		return nil, false
	}
	return authorizer.AttributesRecord{
		User: a.GetUser(), Verb: SyncVerb, ResourceRequest: true,
		APIGroup: computev1alpha1.GroupName, APIVersion: a.GetAPIVersion(), Resource: "synctargets", Name: a.GetName(),
	}, true
}
