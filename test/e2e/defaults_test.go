package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/gantry-dev/gantry/test/harness"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

// defaultsNamespace is where the namespaced objects of TestBuiltinDefaultsMatchKubernetes are created.
const defaultsNamespace = "defaults"

// defaultingCase is one minimal object created in both Gantry and a vanilla kube-apiserver.
type defaultingCase struct {
	name     string
	resource schema.GroupVersionResource
	object   string
}

// defaultingCases cover every built-in kind Gantry serves typed, each with the fields Kubernetes defaults left out.
var defaultingCases = []defaultingCase{
	{"namespace: name label, finalizer, phase", schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}, `
apiVersion: v1
kind: Namespace
metadata: {name: defaults}`},
	{"configmap without data", schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}, `
apiVersion: v1
kind: ConfigMap
metadata: {name: empty}`},
	{"secret without type", schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, `
apiVersion: v1
kind: Secret
metadata: {name: untyped}
data: {k: dg==}`},
	{"secret with stringData", schema.GroupVersionResource{Version: "v1", Resource: "secrets"}, `
apiVersion: v1
kind: Secret
metadata: {name: stringly}
stringData: {k: v}`},
	{"serviceaccount", schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}, `
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot}`},
	{"core event", schema.GroupVersionResource{Version: "v1", Resource: "events"}, `
apiVersion: v1
kind: Event
metadata: {name: core-event}
involvedObject: {kind: ConfigMap, name: empty, namespace: defaults, apiVersion: v1}
reason: Checked
message: checked it
type: Normal`},
	{"events.k8s.io event", schema.GroupVersionResource{Group: "events.k8s.io", Version: "v1", Resource: "events"}, `
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: new-event}
eventTime: "2026-01-02T03:04:05.000000Z"
reportingController: example.com/checker
reportingInstance: checker-1
action: Check
reason: Checked
note: checked it
type: Normal
regarding: {kind: ConfigMap, name: empty, namespace: defaults, apiVersion: v1}`},
	{"lease", schema.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}, `
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: lock}
spec: {holderIdentity: me, leaseDurationSeconds: 15}`},
	{"role", schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}, `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]`},
	{"rolebinding without API groups", schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"}, `
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: readers}
roleRef: {kind: Role, name: reader}
subjects:
- {kind: User, name: alice}
- {kind: Group, name: team}
- {kind: ServiceAccount, name: robot, namespace: defaults}`},
	{"clusterrole", schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: defaults-viewer}
rules: [{nonResourceURLs: [/healthz], verbs: [get]}]`},
	{"clusterrolebinding without API groups", schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}, `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: defaults-viewers}
roleRef: {kind: ClusterRole, name: defaults-viewer}
subjects:
- {kind: Group, name: viewers}
- {kind: ServiceAccount, name: robot, namespace: defaults}`},
}

// TestBuiltinDefaultsMatchKubernetes creates the same minimal objects in a Gantry workspace and in a vanilla
// kube-apiserver and compares what each stored, less the metadata only a server assigns.
func TestBuiltinDefaultsMatchKubernetes(t *testing.T) {
	kube := kubecluster.Start(t)
	s := harness.Start(t)
	ws, _ := s.CreateWorkspace(t, "root", "defaults")
	gantryConfig, err := s.RESTConfig(ws)
	require.NoError(t, err)
	gantry, err := dynamic.NewForConfig(gantryConfig)
	require.NoError(t, err)
	vanilla, err := dynamic.NewForConfig(kube.RESTConfig())
	require.NoError(t, err)

	ctx := context.Background()
	t.Run("namespace with a generated name is labeled with it", func(t *testing.T) {
		for server, client := range map[string]dynamic.Interface{"kube-apiserver": vanilla, "gantry": gantry} {
			ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace",
				"metadata": map[string]any{"generateName": "generated-"}}}
			created, err := client.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx, ns, metav1.CreateOptions{})
			require.NoError(t, err, server)
			assert.Equal(t, created.GetName(), created.GetLabels()["kubernetes.io/metadata.name"], server)
		}
	})
	for _, tc := range defaultingCases {
		t.Run(tc.name, func(t *testing.T) {
			var obj unstructured.Unstructured
			require.NoError(t, yaml.Unmarshal([]byte(tc.object), &obj.Object))
			want := createAndStrip(ctx, t, vanilla, tc.resource, &obj)
			got := createAndStrip(ctx, t, gantry, tc.resource, &obj)
			assert.Equal(t, want, got, "the object as kube-apiserver stored it, and as Gantry did")
		})
	}
}

// createAndStrip creates obj (in defaultsNamespace unless it is cluster-scoped), reads it back and drops what only
// a server assigns: uid, resourceVersion, creationTimestamp and managedFields.
func createAndStrip(ctx context.Context, t *testing.T, client dynamic.Interface, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) map[string]any {
	t.Helper()
	var ri dynamic.ResourceInterface = client.Resource(gvr)
	if clusterScoped := gvr.Resource == "namespaces" || gvr.Resource == "clusterroles" || gvr.Resource == "clusterrolebindings"; !clusterScoped {
		ri = client.Resource(gvr).Namespace(defaultsNamespace)
	}
	_, err := ri.Create(ctx, obj.DeepCopy(), metav1.CreateOptions{})
	require.NoError(t, err)
	stored, err := ri.Get(ctx, obj.GetName(), metav1.GetOptions{})
	require.NoError(t, err)
	for _, field := range []string{"uid", "resourceVersion", "creationTimestamp", "managedFields"} {
		unstructured.RemoveNestedField(stored.Object, "metadata", field)
	}
	// Gantry names each object's logical cluster, as kcp does; that is no default.
	unstructured.RemoveNestedField(stored.Object, "metadata", "annotations", "gantry.dev/cluster")
	if annotations, _, _ := unstructured.NestedMap(stored.Object, "metadata", "annotations"); len(annotations) == 0 {
		unstructured.RemoveNestedField(stored.Object, "metadata", "annotations")
	}
	return stored.Object
}

// TestRoleBindingWithoutAPIGroup applies, with the real kubectl, RBAC YAML written for Kubernetes that leaves the
// API groups out: create, client-side apply and server-side apply accept it and store the defaults, and a subject
// of an unknown kind is still refused.
func TestRoleBindingWithoutAPIGroup(t *testing.T) {
	s := harness.Start(t)
	ws, _ := s.CreateWorkspace(t, "root", "rbac-defaults")
	k := s.Kubectl(ws)
	binding := func(name string) string {
		return `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ` + name + `, namespace: default}
roleRef: {apiGroup: "", kind: ClusterRole, name: view}
subjects:
- {kind: User, name: alice}
- {kind: ServiceAccount, name: default, namespace: default}
`
	}
	k.WithStdin(binding("created")).MustRun(t, "create", "-f", "-")
	k.WithStdin(binding("applied")).MustRun(t, "apply", "-f", "-")
	k.WithStdin(binding("server-applied")).MustRun(t, "apply", "--server-side", "-f", "-")
	for _, name := range []string{"created", "applied", "server-applied"} {
		got := k.MustRun(t, "get", "rolebinding", name, "-o", `jsonpath={.roleRef.apiGroup}|{.subjects[0].apiGroup}|{.subjects[1].apiGroup}`)
		assert.Equal(t, "rbac.authorization.k8s.io|rbac.authorization.k8s.io|", got, name)
	}
	// Applying the same YAML again is accepted too, and the defaults hold.
	k.WithStdin(binding("applied")).MustRun(t, "apply", "-f", "-")
	k.WithStdin(binding("server-applied")).MustRun(t, "apply", "--server-side", "-f", "-")
	for _, name := range []string{"applied", "server-applied"} {
		assert.Equal(t, "rbac.authorization.k8s.io", k.MustRun(t, "get", "rolebinding", name, "-o", "jsonpath={.roleRef.apiGroup}"), name)
	}

	_, errOut, err := k.WithStdin(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: robots, namespace: default}
roleRef: {kind: ClusterRole, name: view}
subjects: [{kind: Robot, name: r2}]
`).Run("create", "-f", "-")
	require.Error(t, err)
	assert.Contains(t, errOut, `subjects[0].kind: Unsupported value: "Robot"`)
}
