package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/test/harness"
)

// badRequest is a request the server must refuse with a failure Status of the given code.
type badRequest struct {
	name        string
	method      string
	path        string // below https://host:port
	contentType string
	body        []byte
	code        int
}

// badInputFixture holds the server, workspaces and snapshots that TestBadInputGetsStatusAndWritesNothing shares.
type badInputFixture struct {
	s                *harness.Server
	pathA, clusterB  string
	clientA, clientB kubernetes.Interface
	beforeA, beforeB snapshot
}

// setupBadInput creates workspaces bad-a and bad-b, each with a configmap existing, and a namespace only in bad-b,
// and snapshots both.
func setupBadInput(t *testing.T) *badInputFixture {
	s := harness.Start(t)
	f := &badInputFixture{s: s}
	var pathB string
	f.pathA, _ = s.CreateWorkspace(t, "root", "bad-a")
	pathB, f.clusterB = s.CreateWorkspace(t, "root", "bad-b")
	f.clientA, _ = s.Clients(t, f.pathA)
	f.clientB, _ = s.Clients(t, pathB)
	s.Kubectl(f.pathA).MustRun(t, "create", "configmap", "existing", "--from-literal=k=v")
	s.Kubectl(pathB).MustRun(t, "create", "configmap", "existing", "--from-literal=k=v")
	s.Kubectl(pathB).MustRun(t, "create", "namespace", "only-in-b")
	s.WaitNamespaceDefaults(t, pathB, "only-in-b") // before B's snapshot, which would otherwise see them arrive
	f.beforeA, f.beforeB = takeSnapshot(t, f.clientA), takeSnapshot(t, f.clientB)
	return f
}

// cmPath is the path of the configmaps in default of a workspace.
func cmPath(ws string) string { return "/clusters/" + ws + "/api/v1/namespaces/default/configmaps" }

// cmJSON is a ConfigMap in JSON with the given name, annotations and data.
func cmJSON(name string, annotations map[string]string, data map[string]string) []byte {
	b, _ := json.Marshal(map[string]interface{}{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]interface{}{"name": name, "annotations": annotations}, "data": data,
	})
	return b
}

// badRequests lists the bad requests to send, against workspace pathA, with clusterB as another workspace's cluster.
func badRequests(pathA, clusterB string) []badRequest {
	huge := strings.Repeat("x", 4*1024*1024)
	big := strings.Repeat("x", 1536*1024)
	return []badRequest{
		{"malformed JSON", http.MethodPost, cmPath(pathA), "application/json", []byte(`{"apiVersion":"v1","kind":`), 400},
		{"malformed YAML", http.MethodPost, cmPath(pathA), "application/yaml", []byte("apiVersion: v1\nkind: [ConfigMap\n"), 400},
		{"JSON of the wrong shape", http.MethodPost, cmPath(pathA), "application/json", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":"nope"}`), 400},
		{"body over the size limit", http.MethodPost, cmPath(pathA), "application/json", cmJSON("huge", nil, map[string]string{"k": huge}), 413},
		{"data over 1MiB", http.MethodPost, cmPath(pathA), "application/json", cmJSON("big", nil, map[string]string{"k": big}), 422},
		{"uppercase object name", http.MethodPost, cmPath(pathA), "application/json", cmJSON("Bad_Name", nil, nil), 422},
		{"name of 300 characters", http.MethodPost, cmPath(pathA), "application/json", cmJSON(strings.Repeat("a", 300), nil, nil), 422},
		{"name with a slash", http.MethodPost, cmPath(pathA), "application/json", cmJSON("a/b", nil, nil), 422},
		{"name '..'", http.MethodPost, cmPath(pathA), "application/json", cmJSON("..", nil, nil), 422},
		{"get of '..'", http.MethodGet, cmPath(pathA) + "/..", "", nil, 400},
		{"get of an encoded path trick", http.MethodGet, cmPath(pathA) + "/..%2F..%2Fsecrets", "", nil, 404},
		{"body claims another workspace", http.MethodPost, cmPath(pathA), "application/json",
			cmJSON("claims-b", map[string]string{"gantry.dev/cluster": clusterB}, nil), 400},
		{"body claims an invalid workspace", http.MethodPost, cmPath(pathA), "application/json",
			cmJSON("claims-bad", map[string]string{"gantry.dev/cluster": "../root"}, nil), 400},
		{"update claims another workspace", http.MethodPut, cmPath(pathA) + "/existing", "application/json",
			cmJSON("existing", map[string]string{"gantry.dev/cluster": clusterB}, map[string]string{"k": "stolen"}), 400},
		{"patch moves to another workspace", http.MethodPatch, cmPath(pathA) + "/existing", "application/merge-patch+json",
			[]byte(`{"metadata":{"annotations":{"gantry.dev/cluster":"` + clusterB + `"}},"data":{"k":"stolen"}}`), 400},
		{"malformed patch", http.MethodPatch, cmPath(pathA) + "/existing", "application/merge-patch+json", []byte(`{"data":`), 400},
		{"uppercase workspace", http.MethodGet, cmPath("root:Bad-A"), "", nil, 400},
		{"'..' in a workspace path", http.MethodGet, cmPath("root:..:bad-b"), "", nil, 400},
		{"'..' as the workspace", http.MethodGet, cmPath(".."), "", nil, 400},
		{"%2F in a workspace path", http.MethodGet, cmPath("root%2Fbad-b"), "", nil, 400},
		{"%2E%2E as the workspace", http.MethodGet, cmPath("%2E%2E"), "", nil, 400},
		{"empty path segment", http.MethodGet, cmPath("root::bad-b"), "", nil, 400},
		{"trailing colon", http.MethodGet, cmPath("root:"), "", nil, 400},
		{"empty workspace", http.MethodGet, "/clusters//api/v1/namespaces", "", nil, 400},
		{"workspace name of 200 characters", http.MethodGet, cmPath("root:" + strings.Repeat("a", 200)), "", nil, 400},
		{"cluster name of 200 characters", http.MethodGet, cmPath(strings.Repeat("a", 200)), "", nil, 400},
		{"unicode workspace", http.MethodGet, cmPath("root:b%C3%A4d"), "", nil, 400},
		{"unknown workspace path", http.MethodGet, cmPath("root:nope"), "", nil, 404},
		{"unknown child of a known workspace", http.MethodPost, cmPath(pathA + ":nope"), "application/json", cmJSON("x", nil, nil), 404},
		{"unknown cluster name", http.MethodGet, cmPath("zzzzzzzzzzzzz"), "", nil, 404},
		{"workspace named with uppercase", http.MethodPost, "/clusters/" + pathA + "/apis/tenancy.gantry.dev/v1alpha1/workspaces", "application/json",
			[]byte(`{"apiVersion":"tenancy.gantry.dev/v1alpha1","kind":"Workspace","metadata":{"name":"Team_A"}}`), 422},
		{"workspace named with a dot", http.MethodPost, "/clusters/" + pathA + "/apis/tenancy.gantry.dev/v1alpha1/workspaces", "application/json",
			[]byte(`{"apiVersion":"tenancy.gantry.dev/v1alpha1","kind":"Workspace","metadata":{"name":"team.a"}}`), 422},
		{"workspace name of 64 characters", http.MethodPost, "/clusters/" + pathA + "/apis/tenancy.gantry.dev/v1alpha1/workspaces", "application/json",
			[]byte(`{"apiVersion":"tenancy.gantry.dev/v1alpha1","kind":"Workspace","metadata":{"name":"` + strings.Repeat("a", 64) + `"}}`), 422},
		{"namespace that does not exist", http.MethodPost, "/clusters/" + pathA + "/api/v1/namespaces/nope/configmaps", "application/json", cmJSON("x", nil, nil), 404},
		{"namespace that exists only in the other workspace", http.MethodPost, "/clusters/" + pathA + "/api/v1/namespaces/only-in-b/configmaps", "application/json", cmJSON("x", nil, nil), 404},
		{"API without a workspace", http.MethodGet, "/api/v1/namespaces/default/configmaps", "", nil, 404},
	}
}

func TestBadInputGetsStatusAndWritesNothing(t *testing.T) {
	f := setupBadInput(t)
	cases := badRequests(f.pathA, f.clusterB)

	cfg, err := f.s.RESTConfig("root")
	require.NoError(t, err)
	httpClient, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { testBadRequestGetsStatus(t, httpClient, f.s.Port, c) })
	}

	assertBadInputWroteNothing(t, f)
}

// testBadRequestGetsStatus sends a bad request, its escaped path kept as written, and checks that the answer is a
// failure Status with the expected code.
func testBadRequestGetsStatus(t *testing.T, httpClient *http.Client, port int, c badRequest) {
	req, err := http.NewRequestWithContext(context.Background(), c.method, fmt.Sprintf("https://127.0.0.1:%d%s", port, c.path), bytes.NewReader(c.body))
	require.NoError(t, err)
	// Keep the escaped path exactly as written.
	req.URL.RawPath = c.path
	req.URL.Path = strings.ReplaceAll(c.path, "%2F", "/")
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := httpClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, c.code, resp.StatusCode, "body: %.400s", body)
	var status metav1.Status
	require.NoError(t, json.Unmarshal(body, &status), "the answer must be a Status: %.400s", body)
	assert.Equal(t, "Status", status.Kind)
	assert.Equal(t, metav1.StatusFailure, status.Status)
	assert.Equal(t, int32(c.code), status.Code)
	assert.NotEmpty(t, status.Message)
}

// assertBadInputWroteNothing checks that neither workspace nor root changed and that the server kept running.
func assertBadInputWroteNothing(t *testing.T, f *badInputFixture) {
	assert.Equal(t, f.beforeA, takeSnapshot(t, f.clientA), "workspace A changed")
	assert.Equal(t, f.beforeB, takeSnapshot(t, f.clientB), "workspace B changed")
	root, _ := f.s.Clients(t, "root")
	// root's only configmap is its default namespace's kube-root-ca.crt.
	rootCMs, err := root.CoreV1().ConfigMaps("").List(context.Background(), metav1.ListOptions{FieldSelector: "metadata.name!=kube-root-ca.crt"})
	require.NoError(t, err)
	assert.Empty(t, rootCMs.Items, "nothing may land in root")
	assert.Contains(t, f.s.Logs(), "Serving securely", "the server kept running")
}
