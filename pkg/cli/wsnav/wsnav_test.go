package wsnav

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/cli/plugin"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned/fake"
)

// kubeconfigAt writes a kubeconfig with the contexts "a" (current) and "b", whose clusters point at server.
func kubeconfigAt(t *testing.T, server string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	data := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: a
contexts:
- {name: a, context: {cluster: a, user: u}}
- {name: b, context: {cluster: b, user: u}}
clusters:
- {name: a, cluster: {server: "%[1]s/clusters/root"}}
- {name: b, cluster: {server: "%[1]s/clusters/root:b"}}
users:
- {name: u, user: {token: t}}
`, server)
	require.NoError(t, os.WriteFile(path, []byte(data), 0o600))
	return path
}

// runWS runs `kubectl ws args...` and returns its stdout, stderr and exit code.
func runWS(t *testing.T, kubeconfig string, args ...string) (string, string, int) {
	t.Helper()
	streams, _, out, errOut := genericiooptions.NewTestIOStreams()
	f := plugin.NewFactory(streams)
	root := plugin.NewRoot(f, "kubectl ws", NewCommand(f))
	root.SetArgs(append([]string{"--kubeconfig", kubeconfig}, args...))
	code := plugin.Execute(root, errOut)
	return out.String(), errOut.String(), code
}

func serverOf(t *testing.T, kubeconfig, cluster string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	require.NoError(t, err)
	return cfg.Clusters[cluster].Server
}

// anyWorkspace answers /api with 200 everywhere but in workspaces named "nope".
func anyWorkspace(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if filepath.Base(filepath.Dir(r.URL.Path)) == "root:nope" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		_, _ = w.Write([]byte(`{"kind":"APIVersions","versions":["v1"]}`))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestMoveAndBack(t *testing.T) {
	s := anyWorkspace(t)
	kc := kubeconfigAt(t, s.URL)
	out, _, code := runWS(t, kc)
	require.Equal(t, 0, code)
	assert.Equal(t, "Current workspace is \"root\".\n", out)

	out, errOut, code := runWS(t, kc, "org")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, "Current workspace is \"root:org\".\n", out)
	assert.Equal(t, s.URL+"/clusters/root:org", serverOf(t, kc, "a"))
	out, _, _ = runWS(t, kc, "-")
	assert.Equal(t, "Current workspace is \"root\".\n", out)

	_, errOut, code = runWS(t, kc, "nope")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `error: workspace "root:nope" does not exist or you have no access to it`)
	assert.Equal(t, s.URL+"/clusters/root", serverOf(t, kc, "a"), "a failed move changes nothing")
}

func TestFlagsPickWhatWSReadsAndChanges(t *testing.T) {
	s := anyWorkspace(t)
	kc := kubeconfigAt(t, s.URL)
	out, _, _ := runWS(t, kc, "--context", "b")
	assert.Equal(t, "Current workspace is \"root:b\".\n", out)
	out, _, _ = runWS(t, kc, ".", "--server", s.URL+"/clusters/root:x:y")
	assert.Equal(t, "Current workspace is \"root:x:y\".\n", out, "--server wins for this invocation")
	out, _, _ = runWS(t, kc)
	assert.Equal(t, "Current workspace is \"root\".\n", out, "and is not written")

	_, errOut, code := runWS(t, kc, "..", "--server", s.URL+"/clusters/root:x:y", "--context", "b")
	require.Equal(t, 0, code, errOut)
	assert.Equal(t, s.URL+"/clusters/root:x", serverOf(t, kc, "b"), "a move relative to --server, in the context of --context")
	assert.Equal(t, s.URL+"/clusters/root", serverOf(t, kc, "a"))

	_, errOut, code = runWS(t, kc, "--server", "https://elsewhere.example")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "does not point at a workspace")
	_, errOut, code = runWS(t, kc, "--bogus")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "See 'kubectl ws --help' for usage.")
}

func TestPreviousNeedsAMove(t *testing.T) {
	kc := kubeconfigAt(t, anyWorkspace(t).URL)
	_, errOut, code := runWS(t, kc, "-")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "there is no previous workspace")
}

func TestHelp(t *testing.T) {
	out, _, code := runWS(t, kubeconfigAt(t, "https://h"), "--help")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "kubectl ws [<path> | :<absolute path> | .. | - | . | tree] [flags]")
	assert.Contains(t, out, "--server")
}

func TestTree(t *testing.T) {
	children := map[logicalcluster.Path][]string{"root": {"b", "a"}, "root:a": {"x"}}
	clientFor := func(ws logicalcluster.Path) (versioned.Interface, error) {
		var objs []runtime.Object
		for _, name := range children[ws] {
			objs = append(objs, &tenancyv1alpha1.Workspace{ObjectMeta: metav1.ObjectMeta{Name: name}})
		}
		return fake.NewSimpleClientset(objs...), nil
	}
	var out bytes.Buffer
	require.NoError(t, Tree(context.Background(), clientFor, "root", &out))
	assert.Equal(t, "root\n├── a\n│   └── x\n└── b\n", out.String())
}
