package synctarget

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// ConditionAPIExportsValid is the condition type that says whether every APIExport a SyncTarget supports exists.
const ConditionAPIExportsValid = "APIExportsValid"

// The reasons of the APIExportsValid condition.
const (
	// ReasonAPIExportsFound: every supported export exists (or the target names none).
	ReasonAPIExportsFound = "APIExportsFound"
	// ReasonAPIExportNotFound: at least one supported export, or its workspace, is missing.
	ReasonAPIExportNotFound = "APIExportNotFound"
)

// Workspaces resolves a workspace reference (a path, or a logical cluster name) to its logical cluster.
type Workspaces interface {
	Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool)
}

// Exports says whether an APIExport exists (a clusterwatch.Store of them answers by workspace and name).
type Exports[T any] interface {
	Get(cluster logicalcluster.Name, key string) (T, bool)
}

// ExportWorkspace returns the logical cluster of the workspace that an ExportReference names. The SyncTarget
// controller and the syncer's virtual workspace both read references through it, so that they agree on which
// export a target supports. The error says why there is none: a path that names no single workspace, or a
// workspace that does not exist (yet).
func ExportWorkspace(workspaces Workspaces, ref computev1alpha1.ExportReference) (logicalcluster.Name, error) {
	parsed, err := logicalcluster.ParseReference(ref.Path)
	if err != nil {
		return "", fmt.Errorf("path %q is not a workspace: %v", ref.Path, err)
	}
	if parsed.Name == logicalcluster.Wildcard {
		return "", fmt.Errorf("path %q is not a workspace", ref.Path)
	}
	cluster, ok := workspaces.Resolve(parsed)
	if !ok {
		return "", fmt.Errorf("workspace %s not found", ref.Path)
	}
	return cluster, nil
}

// missingExports returns, for each supported export that does not exist, a sentence naming it or its missing
// workspace, in the order of the spec.
func missingExports[T any](target *computev1alpha1.SyncTarget, workspaces Workspaces, exports Exports[T]) []string {
	var missing []string
	for _, ref := range target.Spec.SupportedAPIExports {
		cluster, err := ExportWorkspace(workspaces, ref)
		if err != nil {
			missing = append(missing, fmt.Sprintf("APIExport %s:%s: %v", ref.Path, ref.Export, err))
			continue
		}
		if _, ok := exports.Get(cluster, ref.Export); !ok {
			missing = append(missing, fmt.Sprintf("APIExport %s:%s not found", ref.Path, ref.Export))
		}
	}
	return missing
}

// exportsCondition is the APIExportsValid condition for the missing exports that missingExports found.
func exportsCondition(missing []string) metav1.Condition {
	if len(missing) == 0 {
		return metav1.Condition{Type: ConditionAPIExportsValid, Status: metav1.ConditionTrue, Reason: ReasonAPIExportsFound,
			Message: "every supported APIExport exists"}
	}
	return metav1.Condition{Type: ConditionAPIExportsValid, Status: metav1.ConditionFalse, Reason: ReasonAPIExportNotFound,
		Message: strings.Join(missing, "; ")}
}

// referencesExport reports whether a target supports an export of that name, in any workspace: a change of such an
// export may change the target's APIExportsValid condition.
func referencesExport(target *computev1alpha1.SyncTarget, name string) bool {
	for _, ref := range target.Spec.SupportedAPIExports {
		if ref.Export == name {
			return true
		}
	}
	return false
}

// exportsValid reports whether a target's APIExportsValid condition is True; one that is not may be waiting for a
// workspace to appear.
func exportsValid(target *computev1alpha1.SyncTarget) bool {
	return meta.IsStatusConditionTrue(target.Status.Conditions, ConditionAPIExportsValid)
}
