package placement

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// computeOnly resolves the one workspace root:compute, whose logical cluster is "computecluster".
type computeOnly struct{}

func (computeOnly) Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool) {
	return "computecluster", ref.Path == "root:compute"
}

func (computeOnly) Path(cluster logicalcluster.Name) (logicalcluster.Path, bool) {
	return "root:compute", cluster == "computecluster"
}

func TestNamespaceLabelsOfEveryChosenTarget(t *testing.T) {
	refs := func(names ...string) []computev1alpha1.TargetReference {
		out := []computev1alpha1.TargetReference{}
		for _, n := range names {
			out = append(out, computev1alpha1.TargetReference{Path: "root:compute", Name: n})
		}
		return out
	}
	sync := func(names ...string) map[string]string {
		out := map[string]string{}
		for _, n := range names {
			out[computev1alpha1.StateLabel("computecluster", n)] = computev1alpha1.ResourceStateSync
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		status computev1alpha1.PlacementStatus
		want   map[string]string
	}{
		{name: "two targets: two Sync labels",
			status: computev1alpha1.PlacementStatus{Phase: computev1alpha1.PlacementBound, SelectedTargets: refs("a", "b"),
				SelectedTarget: &refs("a")[0]},
			want: sync("a", "b")},
		{name: "fewer than asked: the ones that fit",
			status: computev1alpha1.PlacementStatus{Phase: computev1alpha1.PlacementBound, SelectedTargets: refs("a"), SelectedTarget: &refs("a")[0]},
			want:   sync("a")},
		{name: "a status of before selectedTargets",
			status: computev1alpha1.PlacementStatus{Phase: computev1alpha1.PlacementBound, SelectedTarget: &refs("old")[0]},
			want:   sync("old")},
		{name: "unschedulable: none",
			status: computev1alpha1.PlacementStatus{Phase: computev1alpha1.PlacementUnschedulable},
			want:   map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := clusterwatch.NewStore[*computev1alpha1.Placement]()
			p := &computev1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Name: "p", CreationTimestamp: metav1.NewTime(now),
				Annotations: map[string]string{logicalcluster.AnnotationKey: "team"}},
				Spec: computev1alpha1.PlacementSpec{LocationWorkspace: "root:compute"}, Status: tc.status}
			require.NoError(t, store.Add(p))
			// A later Placement selecting the same namespace waits for the first.
			later := &computev1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Name: "later", CreationTimestamp: metav1.NewTime(now.Add(time.Minute)),
				Annotations: map[string]string{logicalcluster.AnnotationKey: "team"}},
				Spec:   computev1alpha1.PlacementSpec{LocationWorkspace: "root:compute"},
				Status: computev1alpha1.PlacementStatus{Phase: computev1alpha1.PlacementBound, SelectedTargets: refs("z")}}
			require.NoError(t, store.Add(later))
			c := &Controller{placements: store, config: Config{Workspaces: computeOnly{}}}
			got := c.namespaceLabels("team", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}})
			assert.Equal(t, tc.want, got)
			assert.Empty(t, c.namespaceLabels("other-team", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}),
				"another workspace's namespace of the same name is not placed")
		})
	}
}

func TestLabelPatchWithTwoTargets(t *testing.T) {
	a, b, c := computev1alpha1.StateLabelPrefix+"a", computev1alpha1.StateLabelPrefix+"b", computev1alpha1.StateLabelPrefix+"c"
	sync, del := computev1alpha1.ResourceStateSync, computev1alpha1.ResourceStateDelete
	assert.Equal(t, map[string]interface{}{b: sync}, labelPatch(map[string]string{a: sync}, map[string]string{a: sync, b: sync}),
		"a second target added: the first stays")
	assert.Equal(t, map[string]interface{}{b: del, c: sync}, labelPatch(map[string]string{a: sync, b: sync}, map[string]string{a: sync, c: sync}),
		"b replaced by c: only b turns Delete")
}
