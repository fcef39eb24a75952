package targets

import (
	"testing"

	"github.com/stretchr/testify/assert"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

func TestDrainProgressDescribe(t *testing.T) {
	for _, tc := range []struct {
		progress drainProgress
		want     string
	}{
		{drainProgress{ready: true}, "gpu-eu: no Placement runs objects here"},
		{drainProgress{}, "gpu-eu: no Placement runs objects here (not Ready: its syncer removes the old copies when it reports again)"},
		{drainProgress{PlacementCount: computev1alpha1.PlacementCount{Total: 3, Draining: 2}, ready: true},
			"gpu-eu: 3 Placement(s) still run objects here, 2 of them waiting for their replacements to be Ready"},
	} {
		assert.Equal(t, tc.want, tc.progress.describe("gpu-eu"))
	}
}
