package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

func TestValidatePlacementClustersAndSpreadBy(t *testing.T) {
	count := func(n int32) *int32 { return &n }
	for _, tc := range []struct {
		name     string
		clusters *int32
		spreadBy string
		want     string // a substring of the error; empty: valid
	}{
		{name: "unset is valid", clusters: nil},
		{name: "one", clusters: count(1)},
		{name: "the maximum", clusters: count(computev1alpha1.MaxPlacementClusters), spreadBy: "topology.gantry.dev/region"},
		{name: "zero", clusters: count(0), want: "spec.clusters: Invalid value: 0: must be at least 1"},
		{name: "negative", clusters: count(-1), want: "spec.clusters: Invalid value: -1: must be at least 1"},
		{name: "too many", clusters: count(computev1alpha1.MaxPlacementClusters + 1), want: "must be at most 10"},
		{name: "not a label key", clusters: count(2), spreadBy: "bad key!", want: "spec.spreadBy: Invalid value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &computev1alpha1.Placement{ObjectMeta: metav1.ObjectMeta{Name: "p"},
				Spec: computev1alpha1.PlacementSpec{LocationWorkspace: "root:compute", Clusters: tc.clusters, SpreadBy: tc.spreadBy}}
			errs := validatePlacement(p, nil)
			if tc.want == "" {
				assert.Empty(t, errs)
				return
			}
			assert.Contains(t, errs.ToAggregate().Error(), tc.want)
		})
	}
}

func TestDefaultPlacementClusters(t *testing.T) {
	p := &computev1alpha1.Placement{}
	defaultPlacement(p)
	if assert.NotNil(t, p.Spec.Clusters) {
		assert.Equal(t, int32(1), *p.Spec.Clusters)
	}
	two := int32(2)
	p.Spec.Clusters = &two
	defaultPlacement(p)
	assert.Equal(t, int32(2), *p.Spec.Clusters, "a count asked for is kept")
}

func TestPlacementColumnsListEveryTarget(t *testing.T) {
	p := &computev1alpha1.Placement{Spec: computev1alpha1.PlacementSpec{LocationWorkspace: "root:compute"}}
	assert.Equal(t, []interface{}{"root:compute", "<none>", ""}, placementColumns(p))
	p.Status.Phase = computev1alpha1.PlacementBound
	p.Status.SelectedTarget = &computev1alpha1.TargetReference{Path: "root:compute", Name: "a"}
	assert.Equal(t, []interface{}{"root:compute", "root:compute:a", "Bound"}, placementColumns(p), "a status of one target")
	p.Status.SelectedTargets = []computev1alpha1.TargetReference{{Path: "root:compute", Name: "a"}, {Path: "root:compute", Name: "b"}}
	assert.Equal(t, []interface{}{"root:compute", "root:compute:a,root:compute:b", "Bound"}, placementColumns(p))
}
