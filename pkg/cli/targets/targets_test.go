package targets

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

func TestTargetsTable(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	beat := func(ago time.Duration) *metav1.Time { t := metav1.NewTime(now.Add(-ago)); return &t }
	ready := func(status metav1.ConditionStatus) []metav1.Condition {
		return []metav1.Condition{{Type: "Ready", Status: status, Reason: "Heartbeat"}}
	}
	targets := []computev1alpha1.SyncTarget{
		{ // listed out of order: the table sorts by name
			ObjectMeta: metav1.ObjectMeta{Name: "gpu-us", Labels: map[string]string{"region": "us-east", "topology.gantry.dev/region": "us"}},
			Spec:       computev1alpha1.SyncTargetSpec{Unschedulable: true},
			Status: computev1alpha1.SyncTargetStatus{LastHeartbeatTime: beat(2 * time.Hour), Conditions: ready(metav1.ConditionFalse),
				GPUs: []computev1alpha1.GPUUsage{{Product: "A100", Capacity: 8, Allocatable: 8, Requested: 10}}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "gpu-eu", Labels: map[string]string{"region": "eu"}},
			Status: computev1alpha1.SyncTargetStatus{LastHeartbeatTime: beat(5 * time.Second), Conditions: ready(metav1.ConditionTrue),
				GPUs: []computev1alpha1.GPUUsage{
					{Product: "H100", Capacity: 8, Allocatable: 7, Requested: 3},
					{Product: "L4", Capacity: 4, Allocatable: 4, Requested: 0},
				}},
		},
		{ObjectMeta: metav1.ObjectMeta{Name: "new"}, Spec: computev1alpha1.SyncTargetSpec{Unschedulable: true}},
	}
	var out bytes.Buffer
	require.NoError(t, TargetsTable(&out, targets, now))
	assert.Equal(t, ""+
		"NAME     READY                         REGION   GPU       GPUS FREE/TOTAL   HEARTBEAT\n"+
		"gpu-eu   Ready                         eu       H100,L4   8/12              5s\n"+
		"gpu-us   NotReady,SchedulingDisabled   us       A100      0/8               120m\n"+
		"new      Unknown,SchedulingDisabled    <none>   <none>    0/0               <never>\n", out.String())
}
