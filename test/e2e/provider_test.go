package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/gantry-dev/gantry/config/samples"
	"github.com/gantry-dev/gantry/sdk"
	"github.com/gantry-dev/gantry/sdk/controllerruntime"
)

var widgetsGVR = schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: "widgets"}

const widgetsContent = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: widgets-content}
rules:
- {apiGroups: [apis.gantry.dev], resources: [apiexports], resourceNames: [widgets], verbs: [content]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: dave-widgets-content}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: widgets-content}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: dave}
`

// TestProviderControllerWithControllerRuntime runs a provider controller written with controller-runtime against
// the export's virtual workspace through the sdk: it reconciles the same-named widgets of two teams apart, sets
// their status, and touches nothing else.
func TestProviderControllerWithControllerRuntime(t *testing.T) {
	ctrllog.SetLogger(logr.Discard())
	s, _ := startWithUsers(t)
	providerPath, _ := s.CreateWorkspace(t, "root", "provider")
	orgPath, _ := s.CreateWorkspace(t, "root", "org")
	teamA, clusterA := s.CreateWorkspace(t, orgPath, "team-a")
	teamB, clusterB := s.CreateWorkspace(t, orgPath, "team-b")
	teamC, _ := s.CreateWorkspace(t, orgPath, "team-c")
	s.Kubectl(providerPath).WithStdin(samples.WidgetsSchema+"---\n"+samples.WidgetsAPIExport+"---\n"+widgetsContent).MustRun(t, "create", "-f", "-")
	s.Kubectl(providerPath).MustRun(t, "wait", "--for=condition=IdentityValid", "apiexport/widgets", "--timeout=30s")
	for _, ws := range []string{teamA, teamB} {
		k := s.Kubectl(ws)
		k.WithStdin(bindingYAML("widgets", providerPath)).MustRun(t, "create", "-f", "-")
		k.MustRun(t, "wait", "--for=jsonpath={.status.phase}=Bound", "apibinding/widgets", "--timeout=30s")
		k.WithStdin(widget("w1", "{size: 2}")).MustRun(t, "create", "-f", "-")
	}
	s.Kubectl(teamA).WithStdin(widget("w2", "{size: 4}")).MustRun(t, "create", "-f", "-")
	// team-c has widgets of its own CRD, with the same group and names: the provider must never touch them.
	s.Kubectl(teamC).WithStdin(samples.WidgetsCRD).MustRun(t, "apply", "-f", "-")
	s.Kubectl(teamC).MustRun(t, "wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s")
	s.Kubectl(teamC).WithStdin(widget("w1", "{size: 2}")).MustRun(t, "create", "-f", "-")

	// The provider: an ordinary kubeconfig identity (dave's token) and the sdk.
	daveConfig, err := s.RESTConfigAs("root", daveToken)
	require.NoError(t, err)
	client, err := sdk.New(daveConfig)
	require.NoError(t, err)
	vw := client.APIExport(providerPath, "widgets")
	all := vw.Config(sdk.Wildcard)
	mgr, err := manager.New(all, manager.Options{Metrics: server.Options{BindAddress: "0"}, HealthProbeBindAddress: "0"})
	require.NoError(t, err)
	informer := sdk.NewDynamicWildcardInformer(dynamic.NewForConfigOrDie(all), widgetsGVR)
	reconciled := func(ctx context.Context, req controllerruntime.Request) (reconcile.Result, error) {
		clients, err := vw.Cluster(req.Cluster)
		if err != nil {
			return reconcile.Result{}, err
		}
		widgets := clients.Dynamic.Resource(widgetsGVR).Namespace(req.Namespace)
		w, err := widgets.Get(ctx, req.Name, metav1.GetOptions{})
		if err != nil {
			return reconcile.Result{}, nil // deleted meanwhile
		}
		size, _, _ := unstructured.NestedInt64(w.Object, "spec", "size")
		_ = unstructured.SetNestedField(w.Object, fmt.Sprintf("provisioned %d in %s", size, req.Cluster), "status", "phase")
		_, err = widgets.UpdateStatus(ctx, w, metav1.UpdateOptions{})
		return reconcile.Result{}, err
	}
	require.NoError(t, builder.TypedControllerManagedBy[controllerruntime.Request](mgr).Named("widgets").
		WatchesRawSource(controllerruntime.Source(informer)).Complete(reconcile.TypedFunc[controllerruntime.Request](reconciled)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = mgr.Start(ctx) }()

	phase := func(ws, name string) func() string {
		return func() string {
			out, _, _ := s.Kubectl(ws).Run("get", "widget", name, "-o", "jsonpath={.status.phase}")
			return out
		}
	}
	eventually := func(want string, got func() string) {
		t.Helper()
		require.Eventually(t, func() bool { return got() == want }, 30*time.Second, 100*time.Millisecond, "want %q, last %q", want, got())
	}
	eventually("provisioned 2 in "+clusterA, phase(teamA, "w1"))
	eventually("provisioned 4 in "+clusterA, phase(teamA, "w2"))
	eventually("provisioned 2 in "+clusterB, phase(teamB, "w1"))

	// Changes are watched: a new widget and a changed one are reconciled, in their own workspace.
	s.Kubectl(teamB).WithStdin(widget("w3", "{size: 9}")).MustRun(t, "create", "-f", "-")
	s.Kubectl(teamA).MustRun(t, "patch", "widget", "w1", "--type=merge", "-p", `{"spec":{"size":5}}`)
	eventually("provisioned 9 in "+clusterB, phase(teamB, "w3"))
	eventually("provisioned 5 in "+clusterA, phase(teamA, "w1"))
	assert.Equal(t, "provisioned 2 in "+clusterB, phase(teamB, "w1")(), "team-b's w1 is another object")

	assert.Empty(t, phase(teamC, "w1")(), "team-c's own widgets are never touched")
	_, found := informer.Get(clusterA, "default", "w1")
	assert.True(t, found)
	assert.Len(t, informer.Indexer().List(), 4, "w1 and w2 of team-a, w1 and w3 of team-b: same names kept apart")
}
