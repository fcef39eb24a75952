package placement

import (
	"encoding/json"

	"k8s.io/apiserver/pkg/authentication/user"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// OwnerAnnotation records who created a Placement, as JSON: the controller chooses only targets that user may
// "use". Admission writes it at creation and keeps it unchanged afterwards.
const OwnerAnnotation = "compute.gantry.dev/owner"

// owner is the recorded user.
type owner struct {
	Name   string              `json:"username"`
	UID    string              `json:"uid,omitempty"`
	Groups []string            `json:"groups,omitempty"`
	Extra  map[string][]string `json:"extra,omitempty"`
	// Workspace is the logical cluster the Placement was created in: a ServiceAccount is someone only there.
	Workspace string `json:"workspace"`
}

// EncodeOwner is the OwnerAnnotation value for u, creating a Placement in the workspace cluster.
func EncodeOwner(u user.Info, cluster logicalcluster.Name) string {
	data, _ := json.Marshal(owner{Name: u.GetName(), UID: u.GetUID(), Groups: u.GetGroups(), Extra: u.GetExtra(), Workspace: string(cluster)})
	return string(data)
}

// ownerOf returns the recorded owner of p and the workspace it acted in; false when there is none or it does not
// parse.
func ownerOf(p *computev1alpha1.Placement) (user.Info, logicalcluster.Name, bool) {
	raw, ok := p.Annotations[OwnerAnnotation]
	if !ok {
		return nil, "", false
	}
	var o owner
	if err := json.Unmarshal([]byte(raw), &o); err != nil || o.Name == "" {
		return nil, "", false
	}
	return &user.DefaultInfo{Name: o.Name, UID: o.UID, Groups: o.Groups, Extra: o.Extra}, logicalcluster.Name(o.Workspace), true
}
