package synctarget

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestReadyFollowsHeartbeats(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	lease := 30 * time.Second

	never, recheck := readyCondition(nil, now, lease)
	assert.Equal(t, metav1.ConditionFalse, never.Status)
	assert.Equal(t, ReasonNoHeartbeat, never.Reason)
	assert.Zero(t, recheck, "nothing to wait for until a heartbeat arrives")

	recent := metav1.NewTime(now.Add(-10 * time.Second))
	ready, recheck := readyCondition(&recent, now, lease)
	assert.Equal(t, metav1.ConditionTrue, ready.Status)
	assert.Equal(t, ReasonHeartbeat, ready.Reason)
	assert.InDelta(t, float64(20*time.Second), float64(recheck), float64(time.Second), "looked at again when the lease ends")

	old := metav1.NewTime(now.Add(-31 * time.Second))
	missed, _ := readyCondition(&old, now, lease)
	assert.Equal(t, metav1.ConditionFalse, missed.Status)
	assert.Equal(t, ReasonHeartbeatMissed, missed.Reason)
	assert.Contains(t, missed.Message, "lease 30s")
}

func TestSetConditionKeepsTransitionTime(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	var conditions []metav1.Condition
	setCondition(&conditions, metav1.Condition{Type: ConditionReady, Status: metav1.ConditionTrue, Reason: ReasonHeartbeat}, t0)
	setCondition(&conditions, metav1.Condition{Type: ConditionReady, Status: metav1.ConditionTrue, Reason: ReasonHeartbeat}, t0.Add(time.Minute))
	assert.Equal(t, t0, conditions[0].LastTransitionTime.Time, "no transition")
	setCondition(&conditions, metav1.Condition{Type: ConditionReady, Status: metav1.ConditionFalse, Reason: ReasonHeartbeatMissed}, t0.Add(2*time.Minute))
	assert.Equal(t, t0.Add(2*time.Minute), conditions[0].LastTransitionTime.Time)
}
