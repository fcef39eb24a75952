package plugin

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

const testKubeconfig = `apiVersion: v1
kind: Config
current-context: admin
contexts:
- name: admin
  context: {cluster: gantry, user: admin, namespace: team-ns}
clusters:
- name: gantry
  cluster: {server: "https://a.example:6443/clusters/root:org"}
users:
- name: admin
  user: {token: from-kubeconfig}
`

// testPlugin is a plugin "kubectl test" with one subcommand "sub", whose run is given.
func testPlugin(t *testing.T, run func(f *Factory, cmd *cobra.Command) error) (*cobra.Command, *Factory, genericiooptions.IOStreams) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(testKubeconfig), 0o600))
	t.Setenv("KUBECONFIG", path)
	streams, _, _, _ := genericiooptions.NewTestIOStreams()
	f := NewFactory(streams)
	root := NewRoot(f, "kubectl test", &cobra.Command{Use: "test", Short: "A test plugin"})
	sub := &cobra.Command{Use: "sub ARG", Short: "A subcommand", Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, _ []string) error { return run(f, cmd) }}
	root.AddCommand(sub)
	return root, f, streams
}

// restConfigAfter runs "kubectl test sub args..." and returns the REST config the subcommand saw.
func restConfigAfter(t *testing.T, args ...string) (*rest.Config, *Factory) {
	var cfg *rest.Config
	root, f, streams := testPlugin(t, func(f *Factory, _ *cobra.Command) (err error) {
		cfg, err = f.RESTConfig()
		return err
	})
	root.SetArgs(append([]string{"sub"}, args...))
	require.Equal(t, 0, Execute(root, streams.ErrOut), streams.ErrOut)
	return cfg, f
}

func TestRootRegistersKubectlFlags(t *testing.T) {
	root, _, _ := testPlugin(t, func(*Factory, *cobra.Command) error { return nil })
	sub, _, err := root.Find([]string{"sub"})
	require.NoError(t, err)
	for _, name := range []string{"kubeconfig", "context", "cluster", "user", "server", "token", "as", "as-group",
		"as-uid", "namespace", "insecure-skip-tls-verify", "certificate-authority", "client-certificate",
		"client-key", "request-timeout", "tls-server-name"} {
		assert.NotNil(t, sub.InheritedFlags().Lookup(name), "--%s", name)
	}
	assert.NotNil(t, sub.InheritedFlags().ShorthandLookup("s"))
	assert.NotNil(t, sub.InheritedFlags().ShorthandLookup("n"))
}

func TestKubeconfigWithoutFlags(t *testing.T) {
	cfg, f := restConfigAfter(t)
	assert.Equal(t, "https://a.example:6443/clusters/root:org", cfg.Host)
	assert.Equal(t, "from-kubeconfig", cfg.BearerToken)
	ws, err := f.CurrentWorkspace()
	require.NoError(t, err)
	assert.Equal(t, logicalcluster.Path("root:org"), ws)
	ns, err := f.Namespace()
	require.NoError(t, err)
	assert.Equal(t, "team-ns", ns)
}

func TestFlagsOverrideKubeconfig(t *testing.T) {
	cfg, f := restConfigAfter(t, "--server", "https://b.example/clusters/root:x", "--token", "T", "--as", "alice",
		"--as-group", "g1", "--as-group", "g2", "--insecure-skip-tls-verify", "-n", "other")
	assert.Equal(t, "https://b.example/clusters/root:x", cfg.Host)
	assert.Equal(t, "T", cfg.BearerToken)
	assert.Equal(t, "alice", cfg.Impersonate.UserName)
	assert.Equal(t, []string{"g1", "g2"}, cfg.Impersonate.Groups)
	assert.True(t, cfg.Insecure)

	ws, err := f.CurrentWorkspace()
	require.NoError(t, err)
	assert.Equal(t, logicalcluster.Path("root:x"), ws)
	other, err := f.RESTConfigFor("root:y")
	require.NoError(t, err)
	assert.Equal(t, "https://b.example/clusters/root:y", other.Host)
	assert.Equal(t, "T", other.BearerToken, "another workspace, the same credentials")
	ns, err := f.Namespace()
	require.NoError(t, err)
	assert.Equal(t, "other", ns)
	for _, client := range []func() (any, error){
		func() (any, error) { return f.GantryClient() },
		func() (any, error) { return f.KubeClient() },
		func() (any, error) { return f.DynamicClient() },
	} {
		c, err := client()
		require.NoError(t, err)
		assert.NotNil(t, c)
	}
}

func TestServerOutsideAWorkspace(t *testing.T) {
	root, _, streams := testPlugin(t, func(f *Factory, _ *cobra.Command) error {
		_, err := f.CurrentWorkspace()
		return err
	})
	root.SetArgs([]string{"sub", "--server", "https://b.example"})
	assert.Equal(t, 1, Execute(root, streams.ErrOut))
	assert.Contains(t, streams.ErrOut.(interface{ String() string }).String(), "does not point at a workspace")
}

func TestSplitServer(t *testing.T) {
	base, ws, err := SplitServer("https://127.0.0.1:6443/clusters/root:a/")
	require.NoError(t, err)
	assert.Equal(t, "https://127.0.0.1:6443", base)
	assert.Equal(t, logicalcluster.Path("root:a"), ws)
	assert.Equal(t, "https://127.0.0.1:6443/clusters/root:b", WorkspaceURL(base, "root:b"))
	for _, bad := range []string{"https://127.0.0.1:6443", "https://h/clusters/Bad_Path"} {
		_, _, err = SplitServer(bad)
		assert.Error(t, err, bad)
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		args []string
		run  error
		want string
	}{
		{args: []string{"sub", "--bogus"}, want: "error: unknown flag: --bogus\nSee 'kubectl test sub --help' for usage.\n"},
		{args: []string{"sub", "a", "b"}, want: "error: accepts at most 1 arg(s), received 2\nSee 'kubectl test sub --help' for usage.\n"},
		{args: []string{"sub"}, run: errors.New("boom\n"), want: "error: boom\n"},
		{args: []string{"sub"}, run: apierrors.NewNotFound(schema.GroupResource{Group: "apis.gantry.dev", Resource: "apiexports"}, "x"),
			want: "Error from server (NotFound): apiexports.apis.gantry.dev \"x\" not found\n"},
	} {
		root, _, streams := testPlugin(t, func(*Factory, *cobra.Command) error { return tc.run })
		root.SetArgs(tc.args)
		code := Execute(root, streams.ErrOut)
		assert.Equal(t, 1, code, tc.args)
		assert.Equal(t, tc.want, streams.ErrOut.(interface{ String() string }).String(), tc.args)
	}
}

func TestHelpReadsAsKubectlShowsIt(t *testing.T) {
	root, _, streams := testPlugin(t, func(*Factory, *cobra.Command) error { return nil })
	root.SetArgs([]string{"sub", "--help"})
	require.Equal(t, 0, Execute(root, streams.ErrOut))
	help := streams.Out.(interface{ String() string }).String()
	assert.Contains(t, help, "kubectl test sub ARG [flags]")
	assert.Contains(t, help, "--server")
	assert.Contains(t, help, "--token")
}

func TestPrintFlags(t *testing.T) {
	binding := &apisv1alpha1.APIBinding{ObjectMeta: metav1.ObjectMeta{Name: "w"},
		Spec:   apisv1alpha1.APIBindingSpec{Reference: apisv1alpha1.BindingReference{Export: &apisv1alpha1.ExportBindingReference{Path: "root:p", Name: "w"}}},
		Status: apisv1alpha1.APIBindingStatus{Phase: apisv1alpha1.APIBindingPhaseBound}}
	for format, want := range map[string]string{
		"name":                     "apibinding.apis.gantry.dev/w\n",
		"jsonpath={.status.phase}": "Bound",
		"go-template={{.kind}}":    "APIBinding",
		"yaml": "apiVersion: apis.gantry.dev/v1alpha1\nkind: APIBinding\nmetadata:\n  name: w\nspec:\n  reference:\n" +
			"    export:\n      name: w\n      path: root:p\nstatus:\n  phase: Bound\n",
		"json": `"kind": "APIBinding",` + "\n" + `    "apiVersion": "apis.gantry.dev/v1alpha1",`,
	} {
		var requested bool
		root, _, streams := testPlugin(t, nil)
		sub, _, err := root.Find([]string{"sub"})
		require.NoError(t, err)
		printFlags := AddPrintFlags(sub)
		sub.RunE = func(cmd *cobra.Command, _ []string) error {
			requested = printFlags.Requested()
			if err := printFlags.Validate(); err != nil {
				return err
			}
			return printFlags.Print(binding.DeepCopy(), cmd.OutOrStdout())
		}
		root.SetArgs([]string{"sub", "-o", format})
		require.Equal(t, 0, Execute(root, streams.ErrOut), streams.ErrOut)
		assert.True(t, requested, format)
		out := streams.Out.(interface{ String() string }).String()
		if format == "json" {
			assert.Contains(t, out, want)
			continue
		}
		assert.Equal(t, want, out, format)
	}
}

func TestPrintFlagsRefuseUnknownFormats(t *testing.T) {
	root, _, streams := testPlugin(t, nil)
	sub, _, err := root.Find([]string{"sub"})
	require.NoError(t, err)
	printFlags := AddPrintFlags(sub)
	requested := true
	sub.RunE = func(*cobra.Command, []string) error {
		requested = printFlags.Requested()
		return printFlags.Validate()
	}
	root.SetArgs([]string{"sub"})
	require.Equal(t, 0, Execute(root, streams.ErrOut))
	assert.False(t, requested, "no -o: the command prints its own text")

	root.SetArgs([]string{"sub", "-o", "table"})
	require.Equal(t, 1, Execute(root, streams.ErrOut))
	assert.Contains(t, streams.ErrOut.(interface{ String() string }).String(), `unable to match a printer suitable for the output format "table"`)
}

func TestUnknownCommandIsAUsageError(t *testing.T) {
	root, _, streams := testPlugin(t, func(*Factory, *cobra.Command) error { return nil })
	root.SetArgs([]string{"bogus"})
	assert.Equal(t, 1, Execute(root, streams.ErrOut))
	assert.Equal(t, "error: unknown command \"bogus\" for \"kubectl test\"\nSee 'kubectl test --help' for usage.\n",
		streams.ErrOut.(interface{ String() string }).String())
}
