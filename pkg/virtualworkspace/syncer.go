package virtualworkspace

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/synctarget"
)

// SyncVerb is what a syncer needs on its SyncTarget to use the target's virtual workspace.
const SyncVerb = computev1alpha1.SyncVerb

// TargetLabelPrefix starts the label that places an object on a SyncTarget; TargetLabel completes it.
const TargetLabelPrefix = computev1alpha1.StateLabelPrefix

// TargetLabel is the label an object carries while it is placed on the SyncTarget name of cluster
// (computev1alpha1.StateLabel); the syncer's virtual workspace shows only the objects that carry it.
func TargetLabel(cluster logicalcluster.Name, name string) string {
	return computev1alpha1.StateLabel(string(cluster), name)
}

// SyncTargets reads SyncTargets by workspace and name (a clusterwatch.Store of them).
type SyncTargets interface {
	Get(cluster logicalcluster.Name, key string) (*computev1alpha1.SyncTarget, bool)
}

// Syncer is the virtual workspace of a SyncTarget,
// /services/syncer/<compute path>/<synctarget>/clusters/*|<one>/...: the target's gantry-syncer sees the objects
// placed on it (those carrying its TargetLabel) of the resources of its supported APIExports, in every workspace
// that binds one of them, and of its built-in resources (supportedBuiltins) in every workspace, may read them and their CRDs, write their status, and of the objects themselves only
// what is its own (its finalizer, its annotations, its state label once Delete: validateSyncerUpdate).
func Syncer(crds *crdset.Set, targets SyncTargets, workspaces Resolver) *Definition {
	return &Definition{
		Name:   "syncer",
		Object: computev1alpha1.SchemeGroupVersion.WithResource("synctargets"),
		Verb:   SyncVerb,
		Resources: func(t Target) []*apiextensionsv1.CustomResourceDefinition {
			return supportedCRDs(crds, targets, workspaces, t)
		},
		Builtins: func(t Target) []schema.GroupVersionResource {
			return supportedBuiltins(targets, t)
		},
		// One workspace: only one that binds the very export the resource is served from.
		Serves: func(_ Target, cluster logicalcluster.Name, crd *apiextensionsv1.CustomResourceDefinition) bool {
			bound := crds.Bound(cluster, crd.Spec.Group, crd.Status.AcceptedNames.Plural)
			return bound != nil && bound.UID == crd.UID && bound.Annotations[crdset.BoundAnnotation] == crd.Annotations[crdset.BoundAnnotation]
		},
		Selector: func(t Target) labels.Selector {
			placed, err := labels.NewRequirement(TargetLabel(t.Cluster, t.Name), selection.Exists, nil)
			if err != nil {
				return labels.Nothing()
			}
			return labels.NewSelector().Add(*placed)
		},
		Verbs:        []string{"get", "list", "watch", "update", "patch"},
		Subresources: []string{"status"},
		// Of an object itself, the syncer changes only its own finalizer, annotations and state label.
		ValidateUpdate: validateSyncerUpdate,
		// The syncer installs the CRDs of the resources it syncs on its cluster.
		ServesCRDs: true,
	}
}

// SyncableBuiltins are the built-in resources a SyncTarget may list in spec.builtinResources, and
// DefaultBuiltins those it carries when it lists none.
var (
	SyncableBuiltins = []schema.GroupVersionResource{corev1.SchemeGroupVersion.WithResource("configmaps"), corev1.SchemeGroupVersion.WithResource("secrets")}
	DefaultBuiltins  = SyncableBuiltins
)

// supportedBuiltins returns the SyncableBuiltins a SyncTarget lists, DefaultBuiltins when it lists none, or none
// when it is missing.
func supportedBuiltins(targets SyncTargets, t Target) []schema.GroupVersionResource {
	target, ok := targets.Get(t.Cluster, t.Name)
	if !ok {
		return nil
	}
	if len(target.Spec.BuiltinResources) == 0 {
		return DefaultBuiltins
	}
	var out []schema.GroupVersionResource
	for _, gvr := range SyncableBuiltins {
		if slices.Contains(target.Spec.BuiltinResources, gvr.Resource) {
			out = append(out, gvr)
		}
	}
	return out
}

// supportedCRDs returns the CRDs of the APIExports a SyncTarget supports, each resolved from its path; a missing
// target, workspace or export contributes none, and a resource offered twice is served from the first export.
func supportedCRDs(crds *crdset.Set, targets SyncTargets, workspaces Resolver, t Target) []*apiextensionsv1.CustomResourceDefinition {
	target, ok := targets.Get(t.Cluster, t.Name)
	if !ok {
		return nil
	}
	var out []*apiextensionsv1.CustomResourceDefinition
	seen := map[string]bool{}
	for _, ref := range target.Spec.SupportedAPIExports {
		exportCluster, err := synctarget.ExportWorkspace(workspaces, ref)
		if err != nil {
			continue // the target's APIExportsValid condition says why
		}
		for _, crd := range crds.Export(exportCluster, ref.Export) {
			name := crd.Status.AcceptedNames.Plural + "." + crd.Spec.Group
			if !seen[name] {
				seen[name] = true
				out = append(out, crd)
			}
		}
	}
	return out
}
