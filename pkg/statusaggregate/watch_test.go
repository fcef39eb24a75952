package statusaggregate

import (
	"testing"

	"github.com/stretchr/testify/assert"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

func TestHasViews(t *testing.T) {
	view := computev1alpha1.StatusAnnotationPrefix
	assert.False(t, hasViews(nil))
	assert.False(t, hasViews(map[string]string{view + "a": "{}", "team": "x"}), "one view: its syncer writes status")
	assert.False(t, hasViews(map[string]string{"status.workload.gantry.dev/a": "{}", "x.example.com/b": "{}"}), "other annotations")
	assert.True(t, hasViews(map[string]string{view + "a": "{}", view + "b": "{}"}))
}

func TestSameJSON(t *testing.T) {
	assert.True(t, sameJSON(map[string]interface{}{"replicas": int64(2)}, map[string]interface{}{"replicas": float64(2)}), "number types do not matter")
	assert.False(t, sameJSON(map[string]interface{}{"replicas": int64(2)}, map[string]interface{}{"replicas": int64(3)}))
	assert.False(t, sameJSON(nil, map[string]interface{}{}))
}
