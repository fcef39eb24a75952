package syncer

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

func TestStatusAnnotationToWrite(t *testing.T) {
	annotation := computev1alpha1.StatusAnnotation("compute", "east")
	up := upstreamWidget()
	down := DownstreamObject(up, "ns", "k")

	_, changed, err := StatusAnnotationToWrite(up, nil, annotation)
	require.NoError(t, err)
	assert.False(t, changed, "no copy yet")
	_, changed, _ = StatusAnnotationToWrite(up, down, annotation)
	assert.False(t, changed, "a copy without status never clears the view")
	down.Object["status"] = map[string]interface{}{}
	_, changed, _ = StatusAnnotationToWrite(up, down, annotation)
	assert.False(t, changed, "nor does an empty status")

	down.Object["status"] = map[string]interface{}{"replicas": int64(2), "conditions": []interface{}{map[string]interface{}{"type": "Available", "status": "True"}}}
	view, changed, err := StatusAnnotationToWrite(up, down, annotation)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.JSONEq(t, `{"replicas":2,"conditions":[{"type":"Available","status":"True"}]}`, view)
	assert.Equal(t, map[string]interface{}{"phase": "Running"}, up.Object["status"], "the status itself is not touched")

	annotations := up.GetAnnotations()
	annotations[annotation] = view
	up.SetAnnotations(annotations)
	_, changed, _ = StatusAnnotationToWrite(up, down, annotation)
	assert.False(t, changed, "already reported")
	_, changed, _ = StatusAnnotationToWrite(up, down, computev1alpha1.StatusAnnotation("compute", "west"))
	assert.True(t, changed, "each target has its own annotation")
}

func TestSyncStates(t *testing.T) {
	p := computev1alpha1.StateLabelPrefix
	assert.Equal(t, 0, computev1alpha1.SyncStates(nil))
	assert.Equal(t, 1, computev1alpha1.SyncStates(map[string]string{p + "a": "Sync", "app": "Sync"}))
	assert.Equal(t, 1, computev1alpha1.SyncStates(map[string]string{p + "a": "Sync", p + "b": "Delete"}), "a leaving target reports nothing")
	assert.Equal(t, 2, computev1alpha1.SyncStates(map[string]string{p + "a": "Sync", p + "b": "Sync"}))
}

func TestDownstreamObjectDropsStatusViews(t *testing.T) {
	up := upstreamWidget()
	annotations := up.GetAnnotations()
	annotations[computev1alpha1.StatusAnnotation("compute", "east")] = `{"replicas":1}`
	up.SetAnnotations(annotations)
	down := DownstreamObject(up, "ns", "k")
	for k := range down.GetAnnotations() {
		assert.NotContains(t, k, computev1alpha1.StatusAnnotationPrefix, "upstream bookkeeping stays upstream")
	}
	assert.Equal(t, "a", down.GetAnnotations()["team"])
}
