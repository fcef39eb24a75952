package main

import (
	"os"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apiserver/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
)

func TestStartRefusesAGCPercentBelowOne(t *testing.T) {
	for _, value := range []string{"0", "-5"} {
		cmd := newStartCommand()
		cmd.SetArgs([]string{"--gc-percent=" + value})
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		err := cmd.Execute()
		require.Error(t, err, value)
		assert.Contains(t, err.Error(), "--gc-percent must be at least 1", value)
	}
}

func TestMemorySettingsSetTheGCTargetAndTheSnapshotGate(t *testing.T) {
	t.Setenv("GOGC", "") // set, so applyMemorySettings must leave the collector's target alone
	before := debug.SetGCPercent(77)
	defer debug.SetGCPercent(before)
	require.NoError(t, applyMemorySettings(30, false))
	assert.Equal(t, 77, debug.SetGCPercent(77), "GOGC in the environment wins over --gc-percent")
	assert.False(t, utilfeature.DefaultFeatureGate.Enabled(features.ListFromCacheSnapshot))
	require.NoError(t, applyMemorySettings(30, true))
	assert.True(t, utilfeature.DefaultFeatureGate.Enabled(features.ListFromCacheSnapshot))

	require.NoError(t, os.Unsetenv("GOGC")) // t.Setenv puts the original back
	require.NoError(t, applyMemorySettings(30, false))
	assert.Equal(t, 30, debug.SetGCPercent(77), "without GOGC, --gc-percent is the target")
}
