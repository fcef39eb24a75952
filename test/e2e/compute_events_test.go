package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gantry-dev/gantry/test/harness"
)

// failedScheduling returns the FailedScheduling events about Deployment huge in a workspace's default namespace.
func failedScheduling(t *testing.T, k *harness.Kubectl) []corev1.Event {
	var list corev1.EventList
	require.NoError(t, json.Unmarshal([]byte(k.MustRun(t, "get", "events", "-n", "default", "-o", "json")), &list))
	var out []corev1.Event
	for _, ev := range list.Items {
		if ev.InvolvedObject.Kind == "Deployment" && ev.InvolvedObject.Name == "huge" && ev.Reason == "FailedScheduling" {
			out = append(out, ev)
		}
	}
	return out
}

// downFailedScheduling returns the downstream FailedScheduling events about pods of huge in team-a's namespace.
func (f *computeFlow) downFailedScheduling(t *testing.T) []corev1.Event {
	list, err := f.downCS.CoreV1().Events(f.teamNS).List(context.Background(), metav1.ListOptions{FieldSelector: "reason=FailedScheduling"})
	require.NoError(t, err)
	var out []corev1.Event
	for _, ev := range list.Items {
		if strings.HasPrefix(ev.InvolvedObject.Name, "huge-") {
			out = append(out, ev)
		}
	}
	return out
}

// testComputeFlowEvents: the scheduler's FailedScheduling Warning about huge's pod reaches team-a as an Event on
// Deployment huge, which `kubectl describe` shows; a repeat bumps its count rather than adding events; team-b sees
// none of it; and the syncer's view lets it write events only about the objects placed on its target.
// Run after testComputeFlowServices, which made team-b (placed) and team-c (not placed, with a Service llm).
func testComputeFlowEvents(t *testing.T, f *computeFlow) {
	teamB := f.s.Kubectl("root:team-b")
	var copied corev1.Event
	eventually(t, "huge's FailedScheduling reaches team-a as one Event on the Deployment", func() bool {
		events := failedScheduling(t, f.team)
		if len(events) != 1 {
			return false
		}
		copied = events[0]
		return true
	})
	assert.Equal(t, corev1.EventTypeWarning, copied.Type)
	assert.Equal(t, "gantry-syncer/gpu", copied.Source.Component)
	assert.Contains(t, copied.Message, "Insufficient nvidia.com/gpu")
	assert.Equal(t, f.team.MustRun(t, "get", "deploy", "huge", "-n", "default", "-o", "jsonpath={.metadata.uid}"), string(copied.InvolvedObject.UID))

	describe := f.team.MustRun(t, "describe", "deployment", "huge", "-n", "default")
	assert.Regexp(t, `Warning\s+FailedScheduling\s+.*gantry-syncer/gpu\s+0/1 nodes are available: 1 Insufficient nvidia.com/gpu`, describe,
		"kubectl describe tells the story")

	t.Run("a repeated scheduling failure bumps the one Event's count", func(t *testing.T) {
		before := failedScheduling(t, f.team)[0].Count
		// Another pod of huge (its ReplicaSet replaces the one deleted) fails the same way: the scheduler writes
		// another downstream event, which upstream is the same one Event, its count the downstream total.
		pods, err := f.downCS.CoreV1().Pods(f.teamNS).List(context.Background(), metav1.ListOptions{LabelSelector: "app=huge"})
		require.NoError(t, err)
		require.Len(t, pods.Items, 1)
		require.NoError(t, f.downCS.CoreV1().Pods(f.teamNS).Delete(context.Background(), pods.Items[0].Name, metav1.DeleteOptions{}))
		sum := func() int32 { // each downstream event's count, or its series' count, at least 1
			var n int32
			for _, ev := range f.downFailedScheduling(t) {
				count := max(ev.Count, 1)
				if ev.Series != nil {
					count = max(count, ev.Series.Count)
				}
				n += count
			}
			return n
		}
		ok := assert.Eventually(t, func() bool {
			events := failedScheduling(t, f.team)
			return len(events) == 1 && events[0].Count > before && events[0].Count == sum()
		}, 90*time.Second, 500*time.Millisecond, "the count grows on the one Event, as downstream")
		if !ok {
			t.Logf("downstream: %+v\nupstream: %+v", f.downFailedScheduling(t), failedScheduling(t, f.team))
		}
	})

	t.Run("team-b sees none of team-a's events", func(t *testing.T) {
		assert.Empty(t, failedScheduling(t, teamB))
		assert.NotContains(t, teamB.MustRun(t, "get", "events", "-n", "default", "-o", "jsonpath={.items[*].source.component}"), "gantry-syncer")
	})

	t.Run("the syncer's view writes events only about objects placed on its target", func(t *testing.T) {
		syncerKubectl := f.s.KubectlAs(t, f.computePath, f.syncerToken)
		view := "/services/syncer/" + f.computePath + "/gpu/clusters/"
		event := func(apiVersion, kind, name string) string {
			return `{"apiVersion":"v1","kind":"Event","metadata":{"name":"forged","namespace":"default"},"type":"Warning","reason":"Forged",` +
				`"message":"not from the cluster","involvedObject":{"apiVersion":"` + apiVersion + `","kind":"` + kind +
				`","namespace":"default","name":"` + name + `"}}`
		}
		for name, c := range map[string]struct{ workspace, body, want string }{
			"about team-a's Deployment, written into team-b": {"root:team-b", event("apps/v1", "Deployment", "huge"), "does not exist"},
			"about team-c's Service, placed nowhere":         {"root:team-c", event("v1", "Service", "llm"), "is not placed on it"},
			"about a kind it does not sync":                  {"root:team-a", event("v1", "Pod", "llm"), "it does not sync"},
			"across every workspace":                         {"*", event("apps/v1", "Deployment", "huge"), "one workspace"},
		} {
			_, errOut, err := syncerKubectl.WithStdin(c.body).Run("create", "--raw", view+c.workspace+"/api/v1/namespaces/default/events", "-f", "-")
			require.Error(t, err, name)
			assert.Contains(t, errOut, "Forbidden", name)
			assert.Contains(t, errOut, c.want, name)
		}
		for name, args := range map[string][]string{
			"list":   {"get", "--raw", view + "root:team-a/api/v1/namespaces/default/events"},
			"get":    {"get", "--raw", view + "root:team-a/api/v1/namespaces/default/events/" + copied.Name},
			"delete": {"delete", "--raw", view + "root:team-a/api/v1/namespaces/default/events/" + copied.Name},
		} {
			_, errOut, err := syncerKubectl.Run(args...)
			require.Error(t, err, name)
			assert.Contains(t, errOut, "Forbidden", name)
		}
		assert.Empty(t, f.team.MustRun(t, "get", "events", "-n", "default", "--field-selector", "reason=Forged", "-o", "name"))
	})
}
