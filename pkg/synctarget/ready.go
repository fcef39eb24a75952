package synctarget

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

// ConditionReady is the condition type that says whether a SyncTarget's syncer is heard from.
const ConditionReady = "Ready"

// The reasons of the Ready condition.
const (
	// ReasonHeartbeat: the syncer's last heartbeat is within the lease.
	ReasonHeartbeat = "Heartbeat"
	// ReasonHeartbeatMissed: no heartbeat for longer than the lease.
	ReasonHeartbeatMissed = "HeartbeatMissed"
	// ReasonNoHeartbeat: no syncer has ever reported.
	ReasonNoHeartbeat = "NoHeartbeat"
)

// readyCondition is the Ready condition at now for the last heartbeat, and, while Ready, how long until the lease
// runs out and the condition must be looked at again.
func readyCondition(last *metav1.Time, now time.Time, lease time.Duration) (metav1.Condition, time.Duration) {
	if last == nil {
		return metav1.Condition{Type: ConditionReady, Status: metav1.ConditionFalse, Reason: ReasonNoHeartbeat,
			Message: "no gantry-syncer has reported for this target yet"}, 0
	}
	expires := last.Add(lease)
	if now.Before(expires) {
		return metav1.Condition{Type: ConditionReady, Status: metav1.ConditionTrue, Reason: ReasonHeartbeat,
			Message: "the syncer's heartbeats arrive"}, expires.Sub(now) + time.Second/10
	}
	return metav1.Condition{Type: ConditionReady, Status: metav1.ConditionFalse, Reason: ReasonHeartbeatMissed,
		Message: fmt.Sprintf("no heartbeat from the syncer since %s (lease %s)", last.UTC().Format(time.RFC3339), lease)}, 0
}

// setCondition sets c in conditions, keeping the transition time when the status does not change.
func setCondition(conditions *[]metav1.Condition, c metav1.Condition, now time.Time) {
	c.LastTransitionTime = metav1.NewTime(now)
	meta.SetStatusCondition(conditions, c)
}

// statusEqual reports whether two targets' statuses are the same, ignoring nothing: a write is needed otherwise.
func statusEqual(a, b *computev1alpha1.SyncTarget) bool {
	return equality.Semantic.DeepEqual(a.Status, b.Status)
}

// IsReady reports whether a SyncTarget's Ready condition is True.
func IsReady(target *computev1alpha1.SyncTarget) bool {
	return meta.IsStatusConditionTrue(target.Status.Conditions, ConditionReady)
}
