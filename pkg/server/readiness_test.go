package server

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gantry-dev/gantry/pkg/garbagecollector"
)

// TestCollectorReadiness checks the collector's part of /readyz: a replica is not ready before the election named a
// leader (it may be about to lead and must first read the graph), a follower is ready, a leader only once its
// collector synced, and a follower promoted after being ready stays ready.
func TestCollectorReadiness(t *testing.T) {
	notSynced := func() *controllers { return &controllers{collector: garbagecollector.New(garbagecollector.Config{})} }

	c := notSynced()
	assert.False(t, c.collectorSynced(), "no leader known yet")
	c.observeLeader("me", "me")
	assert.False(t, c.collectorSynced(), "this replica won: ready only once it leads and its collector synced")
	c.leading.Store(true)
	assert.False(t, c.collectorSynced(), "leading with a collector that has not read the graph")

	c = notSynced()
	c.observeLeader("other", "me")
	assert.True(t, c.collectorSynced(), "a follower does not run the collector")
	c.leading.Store(true)
	assert.True(t, c.collectorSynced(), "promoted after being ready: keeps serving while its collector reads the graph")
}
