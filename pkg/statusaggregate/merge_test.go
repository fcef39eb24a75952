package statusaggregate

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/runtime/schema"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
)

func TestViews(t *testing.T) {
	state, view := computev1alpha1.StateLabelPrefix, computev1alpha1.StatusAnnotationPrefix
	names := func(key string) (string, string) {
		if name, ok := map[string]string{"k1": "west", "k2": "east"}[key]; ok {
			return name, ""
		}
		if key == "k4" {
			return "north", "SyncTarget north not Ready"
		}
		return key, ""
	}
	cases := []struct {
		name        string
		labels      map[string]string
		annotations map[string]string
		want        []View
		wantErr     string
	}{
		{"none", map[string]string{state + "k1": "Sync"}, map[string]string{"team": "a"}, nil, ""},
		{"two, in name order", map[string]string{state + "k1": "Sync", state + "k2": "Sync"},
			map[string]string{view + "k1": `{"replicas":1}`, view + "k2": `{"replicas":2}`},
			[]View{{Cluster: "east", Status: `{"replicas":2}`}, {Cluster: "west", Status: `{"replicas":1}`}}, ""},
		{"a target leaving is stale", map[string]string{state + "k1": "Sync", state + "k2": "Delete"},
			map[string]string{view + "k1": `{}`, view + "k2": `{}`}, []View{{Cluster: "west", Status: `{}`}}, ""},
		{"a target no longer placed is stale", map[string]string{state + "k1": "Sync"},
			map[string]string{view + "k1": `{}`, view + "k2": `{}`}, []View{{Cluster: "west", Status: `{}`}}, ""},
		{"an unknown target keeps its key", map[string]string{state + "k3": "Sync"},
			map[string]string{view + "k3": `{}`}, []View{{Cluster: "k3", Status: `{}`}}, ""},
		{"a target that is not Ready is lost", map[string]string{state + "k4": "Sync"},
			map[string]string{view + "k4": `{}`}, []View{{Cluster: "north", Status: `{}`, Lost: "SyncTarget north not Ready"}}, ""},
		{"not JSON", map[string]string{state + "k1": "Sync"}, map[string]string{view + "k1": `nope`}, nil, "cluster west"},
	}
	for _, c := range cases {
		got, err := Views(c.labels, c.annotations, names)
		if c.wantErr != "" {
			assert.ErrorContains(t, err, c.wantErr, c.name)
			continue
		}
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, got, c.name)
	}
}

func TestMergeDeployment(t *testing.T) {
	available := func(status, msg string) string {
		return `{"type":"Available","status":"` + status + `","reason":"R` + status + `","message":"` + msg + `"}`
	}
	progressing := `{"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable","message":"done"}`
	cases := []struct {
		name  string
		views []View
		want  map[string]interface{}
	}{
		{"summed, all available", []View{
			{Cluster: "east", Status: `{"observedGeneration":3,"replicas":2,"readyReplicas":2,"availableReplicas":2,"updatedReplicas":2,"conditions":[` + available("True", "ok") + `,` + progressing + `]}`},
			{Cluster: "west", Status: `{"observedGeneration":2,"replicas":3,"readyReplicas":1,"availableReplicas":1,"updatedReplicas":3,"unavailableReplicas":2,"conditions":[` + available("True", "ok") + `,` + progressing + `]}`},
		}, map[string]interface{}{"observedGeneration": int64(2), "replicas": int64(5), "readyReplicas": int64(3), "availableReplicas": int64(3),
			"updatedReplicas": int64(5), "unavailableReplicas": int64(2), "conditions": []interface{}{
				map[string]interface{}{"type": "Available", "status": "True", "reason": "RTrue", "message": "on all 2 clusters (east: ok)", "lastUpdateTime": nil, "lastTransitionTime": nil},
				map[string]interface{}{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable", "message": "on all 2 clusters (east: done)", "lastUpdateTime": nil, "lastTransitionTime": nil},
			}}},
		{"one unavailable names its cluster", []View{
			{Cluster: "east", Status: `{"replicas":1,"conditions":[` + available("True", "ok") + `]}`},
			{Cluster: "west", Status: `{"replicas":1,"conditions":[` + available("False", "minimum replicas") + `]}`},
		}, map[string]interface{}{"replicas": int64(2), "conditions": []interface{}{
			map[string]interface{}{"type": "Available", "status": "False", "reason": "RFalse", "message": "cluster west: minimum replicas", "lastUpdateTime": nil, "lastTransitionTime": nil},
		}}},
		{"a cluster without the condition is Unknown", []View{
			{Cluster: "east", Status: `{"replicas":1,"conditions":[` + available("True", "ok") + `]}`},
			{Cluster: "west", Status: `{"replicas":1}`},
		}, map[string]interface{}{"replicas": int64(2), "conditions": []interface{}{
			map[string]interface{}{"type": "Available", "status": "Unknown", "reason": "NotReported", "message": "cluster west: no Available condition reported yet", "lastUpdateTime": nil, "lastTransitionTime": nil},
		}}},
		{"ReplicaFailure True wins", []View{
			{Cluster: "east", Status: `{"conditions":[{"type":"ReplicaFailure","status":"False","message":"fine"}]}`},
			{Cluster: "west", Status: `{"conditions":[{"type":"ReplicaFailure","status":"True","reason":"FailedCreate","message":"quota"}]}`},
		}, map[string]interface{}{"conditions": []interface{}{
			map[string]interface{}{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": "cluster west: quota", "lastUpdateTime": nil, "lastTransitionTime": nil},
		}}},
	}
	for _, c := range cases {
		got, err := Merge(schema.GroupResource{Group: "apps", Resource: "deployments"}, c.views)
		require.NoError(t, err, c.name)
		assert.Equal(t, c.want, got, c.name)
	}
	_, err := MergeDeployment([]View{{Cluster: "east", Status: `{"replicas":"many"}`}})
	assert.ErrorContains(t, err, "cluster east")
}

func TestMergeInferenceService(t *testing.T) {
	isvc := schema.GroupResource{Group: "serving.gantry.dev", Resource: "inferenceservices"}
	healthy := `{"url":"http://east","replicas":2,"readyReplicas":2,"health":{"state":"Healthy","reason":"AllReady","message":"2/2 ready"},` +
		`"components":[{"kind":"Deployment","name":"llm"}]}`
	degraded := `{"url":"http://west","replicas":2,"readyReplicas":0,"health":{"state":"Degraded","reason":"InsufficientGPU","message":"no GPUs free"},` +
		`"components":[{"kind":"Deployment","name":"llm","cluster":"ignored"}]}`
	progressing := `{"url":"http://south","replicas":1,"health":{"state":"Progressing","reason":"RollingOut"}}`

	got, err := Merge(isvc, []View{{Cluster: "a-west", Status: degraded}, {Cluster: "b-east", Status: healthy}, {Cluster: "c-south", Status: progressing}})
	require.NoError(t, err)
	assert.Equal(t, map[string]interface{}{"state": "Degraded", "reason": "InsufficientGPU", "message": "cluster a-west: no GPUs free"}, got["health"])
	assert.Equal(t, "http://east", got["url"], "from the first healthy cluster")
	assert.Equal(t, int64(5), got["replicas"])
	assert.Equal(t, int64(2), got["readyReplicas"])
	assert.Equal(t, "2/5", got["ready"])
	assert.Equal(t, []interface{}{
		map[string]interface{}{"name": "a-west", "health": map[string]interface{}{"state": "Degraded", "reason": "InsufficientGPU", "message": "no GPUs free"}, "replicas": int64(2)},
		map[string]interface{}{"name": "b-east", "health": map[string]interface{}{"state": "Healthy", "reason": "AllReady", "message": "2/2 ready"}, "replicas": int64(2), "readyReplicas": int64(2)},
		map[string]interface{}{"name": "c-south", "health": map[string]interface{}{"state": "Progressing", "reason": "RollingOut"}, "replicas": int64(1)},
	}, got["clusters"])
	assert.Equal(t, []interface{}{
		map[string]interface{}{"kind": "Deployment", "name": "llm", "cluster": "a-west", "health": map[string]interface{}{}},
		map[string]interface{}{"kind": "Deployment", "name": "llm", "cluster": "b-east", "health": map[string]interface{}{}},
	}, got["components"])

	cases := []struct {
		name        string
		views       []View
		wantState   string
		wantMessage string
		wantURL     string
	}{
		{"all healthy", []View{{Cluster: "east", Status: healthy}, {Cluster: "west", Status: healthy}}, "Healthy", "Healthy on all 2 clusters (east, west)", "http://east"},
		{"progressing beats healthy", []View{{Cluster: "east", Status: healthy}, {Cluster: "south", Status: progressing}}, "Progressing", "cluster south is Progressing", "http://east"},
		{"none healthy: the first cluster's url", []View{{Cluster: "south", Status: progressing}, {Cluster: "west", Status: degraded}}, "Degraded", "cluster west: no GPUs free", "http://south"},
		{"a message naming its cluster already is not named twice", []View{{Cluster: "east", Status: healthy},
			{Cluster: "west", Status: `{"health":{"state":"Degraded","reason":"Unschedulable","message":"cluster west: pod p: Unschedulable: 0/1 nodes are available"}}`}},
			"Degraded", "cluster west: pod p: Unschedulable: 0/1 nodes are available", "http://east"},
		{"another cluster's name in the message is not taken for this one's", []View{{Cluster: "east", Status: healthy},
			{Cluster: "west", Status: `{"health":{"state":"Degraded","message":"cluster gpu: no GPUs free"}}`}},
			"Degraded", "cluster west: cluster gpu: no GPUs free", "http://east"},
		{"no health reported is Unknown, worse than Progressing", []View{{Cluster: "quiet", Status: `{}`}, {Cluster: "south", Status: progressing}}, "Unknown", "cluster quiet is Unknown", ""},
	}
	for _, c := range cases {
		got, err := MergeInferenceService(c.views)
		require.NoError(t, err, c.name)
		h := got["health"].(map[string]interface{})
		assert.Equal(t, c.wantState, h["state"], c.name)
		assert.Equal(t, c.wantMessage, h["message"], c.name)
		if c.wantURL == "" {
			assert.NotContains(t, got, "url", c.name)
		} else {
			assert.Equal(t, c.wantURL, got["url"], c.name)
		}
	}
}

func TestMergeOtherResources(t *testing.T) {
	got, err := Merge(schema.GroupResource{Group: "example.com", Resource: "widgets"}, []View{{Cluster: "east", Status: `{"phase":"Running","count":2}`}, {Cluster: "west", Status: `{"phase":"Failed"}`}})
	require.NoError(t, err)
	assert.Equal(t, map[string]interface{}{"phase": "Running", "count": int64(2)}, got, "the first cluster in name order")
	_, err = Merge(schema.GroupResource{Group: "example.com", Resource: "widgets"}, nil)
	assert.Error(t, err)
}

// TestMergeLostClusters: the last report of a cluster whose SyncTarget is not Ready is not trusted: a Deployment's
// Available and Progressing turn Unknown naming the cluster and why, an InferenceService's health is Unknown
// there (worse than Healthy), and other resources take the first cluster that still reports.
func TestMergeLostClusters(t *testing.T) {
	const lost = "SyncTarget west not Ready since 2026-12-07T12:00:00Z (HeartbeatMissed): no heartbeat for 40s"
	available := `{"replicas":1,"availableReplicas":1,"conditions":[{"type":"Available","status":"True","message":"ok"},` +
		`{"type":"Progressing","status":"True","message":"done"}]}`
	got, err := Merge(schema.GroupResource{Group: "apps", Resource: "deployments"},
		[]View{{Cluster: "east", Status: available}, {Cluster: "west", Status: available, Lost: lost}})
	require.NoError(t, err)
	conditions := got["conditions"].([]interface{})
	require.Len(t, conditions, 2)
	for _, raw := range conditions {
		c := raw.(map[string]interface{})
		assert.Equal(t, "Unknown", c["status"], c["type"])
		assert.Equal(t, ReasonClusterNotReady, c["reason"])
		assert.Equal(t, "cluster west: "+lost, c["message"])
	}
	assert.Equal(t, int64(2), got["availableReplicas"], "the last counts stay: nothing newer is known")

	healthy := `{"url":"http://%s","replicas":1,"readyReplicas":1,"health":{"state":"Healthy","reason":"AllReady"}}`
	got, err = MergeInferenceService([]View{{Cluster: "east", Status: fmt.Sprintf(healthy, "east")},
		{Cluster: "west", Status: fmt.Sprintf(healthy, "west"), Lost: lost}})
	require.NoError(t, err)
	assert.Equal(t, map[string]interface{}{"state": "Unknown", "reason": ReasonClusterNotReady,
		"message": "cluster west: " + lost + "; its last report said Healthy"}, got["health"])
	rows := got["clusters"].([]interface{})
	assert.Equal(t, "Healthy", rows[0].(map[string]interface{})["health"].(map[string]interface{})["state"])
	assert.Equal(t, "Unknown", rows[1].(map[string]interface{})["health"].(map[string]interface{})["state"])
	assert.Equal(t, "http://east", got["url"])

	got, err = Merge(schema.GroupResource{Group: "example.com", Resource: "widgets"},
		[]View{{Cluster: "a", Status: `{"phase":"Running"}`, Lost: lost}, {Cluster: "b", Status: `{"phase":"Pending"}`}})
	require.NoError(t, err)
	assert.Equal(t, map[string]interface{}{"phase": "Pending"}, got, "the first cluster that still reports")
}
