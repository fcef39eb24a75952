package e2e

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/test/harness"
)

// getMetrics sends GET /clusters/<workspace>/metrics with cfg's credentials and returns the status code and body.
func getMetrics(t *testing.T, cfg *rest.Config) (int, []byte) {
	t.Helper()
	c, err := kubernetes.NewForConfig(cfg)
	require.NoError(t, err)
	var code int
	body, _ := c.Discovery().RESTClient().Get().AbsPath("/metrics").Do(context.Background()).StatusCode(&code).Raw()
	return code, body
}

// workspaceFigures scrapes a workspace's metrics as the user of token and parses them.
func workspaceFigures(t *testing.T, s *harness.Server, workspace, token string) map[string]*dto.MetricFamily {
	t.Helper()
	cfg, err := s.RESTConfigAs(workspace, token)
	require.NoError(t, err)
	code, body := getMetrics(t, cfg)
	require.Equal(t, http.StatusOK, code, "metrics of %s: %s", workspace, body)
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	require.NoError(t, err, "metrics of %s:\n%s", workspace, body)
	return families
}

// requestsOf is gantry_workspace_requests_total of a scrape.
func requestsOf(t *testing.T, families map[string]*dto.MetricFamily) float64 {
	t.Helper()
	f := families["gantry_workspace_requests_total"]
	require.NotNil(t, f, "gantry_workspace_requests_total is served")
	require.Len(t, f.GetMetric(), 1)
	return f.GetMetric()[0].GetCounter().GetValue()
}

// objectsOf is gantry_workspace_objects of a resource in a scrape, 0 when the resource is left out.
func objectsOf(families map[string]*dto.MetricFamily, resource string) int {
	for _, m := range families["gantry_workspace_objects"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "resource" && l.GetValue() == resource {
				return int(m.GetGauge().GetValue())
			}
		}
	}
	return 0
}

// TestWorkspaceMetrics: a workspace's cluster-admin reads its own request count and stored objects at
// /clusters/<path>/metrics, never another workspace's; a user without rights there gets 403, for an existing and
// for an unknown workspace alike; the admin gets 404 for an unknown one and 403 for the wildcard; the server-wide
// /metrics is not served inside a workspace.
func TestWorkspaceMetrics(t *testing.T) {
	s, _ := startWithUsers(t)
	teamA, _ := s.CreateWorkspace(t, "root", "team-a")
	teamB, _ := s.CreateWorkspace(t, "root", "team-b")
	s.Kubectl(teamA).MustRun(t, "create", "clusterrolebinding", "owner", "--clusterrole=cluster-admin", "--user=alice")
	s.Kubectl(teamB).MustRun(t, "create", "clusterrolebinding", "owner", "--clusterrole=cluster-admin", "--user=bob")
	for _, name := range []string{"a1", "a2", "a3"} {
		s.Kubectl(teamA).MustRun(t, "create", "configmap", name)
	}
	s.Kubectl(teamB).MustRun(t, "create", "secret", "generic", "b-secret", "--from-literal=k=v")
	s.Kubectl(teamB).MustRun(t, "create", "namespace", "b-extra")
	s.WaitNamespaceDefaults(t, teamB, "b-extra") // so that the counts below do not move

	ctx := context.Background()
	count := func(workspace string) (configmaps, secrets, namespaces int) {
		c, _ := s.Clients(t, workspace)
		cms, err := c.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		secs, err := c.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		nss, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		return len(cms.Items), len(secs.Items), len(nss.Items)
	}

	t.Run("each admin reads its own workspace's objects", func(t *testing.T) {
		for _, tc := range []struct{ workspace, token string }{{teamA, aliceToken}, {teamB, bobToken}} {
			configmaps, secrets, namespaces := count(tc.workspace)
			figures := workspaceFigures(t, s, tc.workspace, tc.token)
			assert.Equal(t, configmaps, objectsOf(figures, "configmaps"), "configmaps of %s", tc.workspace)
			assert.Equal(t, secrets, objectsOf(figures, "secrets"), "secrets of %s", tc.workspace)
			assert.Equal(t, namespaces, objectsOf(figures, "namespaces"), "namespaces of %s", tc.workspace)
			assert.GreaterOrEqual(t, objectsOf(figures, "clusterrolebindings.rbac.authorization.k8s.io"), 1, "the owner binding of %s", tc.workspace)
			assert.NotContains(t, figures, "apiserver_request_total", "the server-wide metrics are not served in a workspace")
		}
		a := workspaceFigures(t, s, teamA, aliceToken)
		b := workspaceFigures(t, s, teamB, bobToken)
		assert.GreaterOrEqual(t, objectsOf(a, "configmaps"), 3)
		assert.Zero(t, objectsOf(a, "secrets"), "team-b's secret is not counted in team-a")
		assert.Equal(t, 1, objectsOf(b, "secrets"))
		assert.Equal(t, objectsOf(a, "namespaces")+1, objectsOf(b, "namespaces"), "team-b's extra namespace only in team-b")
	})

	t.Run("requests are counted in their own workspace only", func(t *testing.T) {
		beforeA := requestsOf(t, workspaceFigures(t, s, teamA, aliceToken))
		beforeB := requestsOf(t, workspaceFigures(t, s, teamB, bobToken))
		const sent = 25
		c, err := s.RESTConfigAs(teamA, aliceToken)
		require.NoError(t, err)
		client := kubernetes.NewForConfigOrDie(c)
		for i := 0; i < sent; i++ {
			_, err := client.CoreV1().ConfigMaps("default").Get(ctx, "a1", metav1.GetOptions{})
			require.NoError(t, err)
		}
		afterA := requestsOf(t, workspaceFigures(t, s, teamA, aliceToken))
		afterB := requestsOf(t, workspaceFigures(t, s, teamB, bobToken))
		assert.GreaterOrEqual(t, afterA-beforeA, float64(sent+1), "alice's requests and her scrape count in team-a")
		assert.Less(t, afterB-beforeB, float64(sent), "alice's requests are not counted in team-b")
	})

	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			name, workspace, token string
			code                   int
			message                string
		}{
			{"alice in team-b", teamB, aliceToken, http.StatusForbidden, "forbidden"},
			{"bob in team-a", teamA, bobToken, http.StatusForbidden, "forbidden"},
			{"carol, bound nowhere", teamA, carolToken, http.StatusForbidden, "forbidden"},
			{"alice in an unknown workspace", "root:nope", aliceToken, http.StatusForbidden, "forbidden"},
			{"admin in an unknown workspace", "root:nope", "", http.StatusNotFound, `root:nope\" not found`},
			{"admin in the wildcard", "*", "", http.StatusForbidden, "the wildcard workspace '*' allows only list and watch"},
			{"malformed path", "root::x", "", http.StatusBadRequest, "invalid workspace reference"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var cfg *rest.Config
				var err error
				if tc.token == "" {
					cfg, err = s.RESTConfig(tc.workspace)
				} else {
					cfg, err = s.RESTConfigAs(tc.workspace, tc.token)
				}
				require.NoError(t, err)
				code, body := getMetrics(t, cfg)
				assert.Equal(t, tc.code, code, "%s", body)
				assert.Contains(t, string(body), tc.message)
				assert.NotContains(t, string(body), "gantry_workspace_", "no figure leaks in a refusal")
				assert.True(t, strings.Contains(string(body), `"kind":"Status"`), "a Kubernetes Status: %s", body)
			})
		}
	})
}
