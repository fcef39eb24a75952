package admission

import (
	"context"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apiserver/pkg/admission"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/authorization"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/placement"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
)

// StateLabels keeps the state labels (computev1alpha1.StateLabelPrefix) of placed objects (configmaps, secrets
// and bound resources) in the hands of placement: a new object gets its namespace's labels, whatever it asked for,
// and an update keeps the object's labels, except that a target's Delete label may be dropped (by that target's
// syncer, once its copy is gone). Users thus cannot run objects on a SyncTarget they were not placed on, nor
// hide them from the one they were. The privileged group (the placement controller, the admin) writes them as given; a new object of
// theirs that names no target is placed like any other.
type StateLabels struct {
	// Namespaces is the index of every workspace's namespaces, whose state labels new objects inherit.
	Namespaces *clusterwatch.Store[*corev1.Namespace]
	// CRDs tells which resources a workspace binds.
	CRDs *crdset.Set
}

var _ admission.MutationInterface = &StateLabels{}

// Handles implements admission.Interface: creations and updates.
func (s *StateLabels) Handles(op admission.Operation) bool {
	return op == admission.Create || op == admission.Update
}

// Admit implements admission.MutationInterface.
func (s *StateLabels) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetSubresource() != "" || a.GetNamespace() == "" || a.GetObject() == nil {
		return nil
	}
	cluster, ok := logicalcluster.From(ctx)
	if !ok || cluster == logicalcluster.Wildcard || !s.placed(cluster, a) {
		return nil
	}
	obj, err := meta.Accessor(a.GetObject())
	if err != nil {
		return nil
	}
	if u := a.GetUserInfo(); u != nil && slices.Contains(u.GetGroups(), authorization.PrivilegedGroup) {
		// As given, except that a new object naming no target is placed like any other.
		if a.GetOperation() != admission.Create || len(placement.StateLabels(obj.GetLabels())) > 0 {
			return nil
		}
	}
	if t, viewed := virtualworkspace.TargetFrom(ctx); viewed && t.Definition != nil && t.Definition.ValidateUpdate != nil {
		return nil // a virtual workspace that checks its writes (the syncer's) refuses what this would quietly undo
	}
	want := map[string]string{}
	if a.GetOperation() == admission.Create {
		if ns, ok := s.Namespaces.Get(cluster, a.GetNamespace()); ok && placeable(a) {
			for k, v := range placement.StateLabels(ns.Labels) {
				if v == computev1alpha1.ResourceStateSync {
					want[k] = v
				}
			}
		}
	} else if old, err := meta.Accessor(a.GetOldObject()); err == nil {
		asked := obj.GetLabels()
		for k, v := range placement.StateLabels(old.GetLabels()) {
			if _, kept := asked[k]; kept || v != computev1alpha1.ResourceStateDelete {
				want[k] = v
			}
		}
	}
	obj.SetLabels(withStateLabels(obj.GetLabels(), want))
	return nil
}

// placed reports whether the request's resource is one whose objects are placed in the workspace.
func (s *StateLabels) placed(cluster logicalcluster.Name, a admission.Attributes) bool {
	r := a.GetResource()
	if r.Group == "" && (r.Resource == "configmaps" || r.Resource == "secrets") {
		return true
	}
	// Bound resources, of the core group (services) as of any other.
	return s.CRDs.Bound(cluster, r.Group, r.Resource) != nil
}

// placeable reports whether the object itself is placed (not a root CA ConfigMap nor a token Secret).
func placeable(a admission.Attributes) bool {
	secretType := ""
	if secret, ok := a.GetObject().(*corev1.Secret); ok {
		secretType = string(secret.Type)
	}
	return placement.Placeable(a.GetResource().Resource, a.GetName(), secretType)
}

// withStateLabels returns l with its state labels replaced by want; nil when nothing is left.
func withStateLabels(l, want map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		if !strings.HasPrefix(k, computev1alpha1.StateLabelPrefix) {
			out[k] = v
		}
	}
	for k, v := range want {
		out[k] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
