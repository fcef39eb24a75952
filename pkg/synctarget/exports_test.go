package synctarget

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// pathIndex resolves the workspace paths it holds.
type pathIndex map[logicalcluster.Path]logicalcluster.Name

func (p pathIndex) Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool) {
	cluster, ok := p[ref.Path]
	return cluster, ok
}

func export(cluster logicalcluster.Name, name string) *apisv1alpha1.APIExport {
	return &apisv1alpha1.APIExport{ObjectMeta: metav1.ObjectMeta{Name: name,
		Annotations: map[string]string{logicalcluster.AnnotationKey: string(cluster)}}}
}

func TestAPIExportsValidNamesEachMissingExport(t *testing.T) {
	workspaces := pathIndex{"root:compute": "c1", "root:serving": "c2"}
	exports := clusterwatch.NewStore[*apisv1alpha1.APIExport]()
	require.NoError(t, exports.Add(export("c1", "kubernetes")))
	target := &computev1alpha1.SyncTarget{Spec: computev1alpha1.SyncTargetSpec{SupportedAPIExports: []computev1alpha1.ExportReference{
		{Path: "root:compute", Export: "kubernetes"},
		{Path: "root:serving", Export: "models"},
		{Path: "root:nowhere", Export: "gpus"},
		{Path: "*", Export: "any"},
	}}}

	missing := missingExports(target, workspaces, exports)
	require.Len(t, missing, 3, "the export that exists is not named")
	assert.Equal(t, "APIExport root:serving:models not found", missing[0])
	assert.Contains(t, missing[1], "root:nowhere:gpus")
	assert.Contains(t, missing[1], "workspace root:nowhere not found")
	assert.Contains(t, missing[2], `path "*" is not a workspace`)

	c := exportsCondition(missing)
	assert.Equal(t, metav1.ConditionFalse, c.Status)
	assert.Equal(t, ReasonAPIExportNotFound, c.Reason)
	for _, m := range missing {
		assert.Contains(t, c.Message, m)
	}

	// The missing workspace and exports appear: the condition turns True.
	workspaces["root:nowhere"] = "c3"
	require.NoError(t, exports.Add(export("c2", "models")))
	require.NoError(t, exports.Add(export("c3", "gpus")))
	target.Spec.SupportedAPIExports = target.Spec.SupportedAPIExports[:3]
	valid := exportsCondition(missingExports(target, workspaces, exports))
	assert.Equal(t, metav1.ConditionTrue, valid.Status)
	assert.Equal(t, ReasonAPIExportsFound, valid.Reason)
}

func TestAPIExportsValidWithoutExports(t *testing.T) {
	c := exportsCondition(missingExports(&computev1alpha1.SyncTarget{}, pathIndex{}, clusterwatch.NewStore[*apisv1alpha1.APIExport]()))
	assert.Equal(t, metav1.ConditionTrue, c.Status, "a target that supports no export lacks none")
}

func TestExportWorkspaceSameExportOnlyInItsWorkspace(t *testing.T) {
	workspaces := pathIndex{"root:a": "ca", "root:b": "cb"}
	cluster, err := ExportWorkspace(workspaces, computev1alpha1.ExportReference{Path: "root:b", Export: "x"})
	require.NoError(t, err)
	assert.Equal(t, logicalcluster.Name("cb"), cluster)

	exports := clusterwatch.NewStore[*apisv1alpha1.APIExport]()
	require.NoError(t, exports.Add(export("ca", "x")))
	target := &computev1alpha1.SyncTarget{Spec: computev1alpha1.SyncTargetSpec{SupportedAPIExports: []computev1alpha1.ExportReference{{Path: "root:b", Export: "x"}}}}
	assert.Equal(t, []string{"APIExport root:b:x not found"}, missingExports(target, workspaces, exports),
		"an export of the same name in another workspace does not count")
}

func TestReferencesExport(t *testing.T) {
	target := &computev1alpha1.SyncTarget{Spec: computev1alpha1.SyncTargetSpec{SupportedAPIExports: []computev1alpha1.ExportReference{{Path: "root:a", Export: "x"}}}}
	assert.True(t, referencesExport(target, "x"))
	assert.False(t, referencesExport(target, "y"))
}
