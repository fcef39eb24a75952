package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Names of what the load touches. The namespaces are the same in both servers; in Gantry they live in the
// workspace root:<testedWorkspace>.
const (
	testedWorkspace = "bench"
	// benchNamespace holds the objects read, written and patched one at a time, and the custom resources.
	benchNamespace = "bench"
	// watchNamespace holds only watchedName, so that the watchers see nothing but the load's events.
	watchNamespace = "watch"
	watchedName    = "watched"
	targetName     = "target"
	updatedName    = "updated"
	patchedName    = "patched"
	fixedWidget    = "fixed"
	loadRole       = "bench-load"
)

// listSizes are the numbers of configmaps listed; each lives alone in namespace list<size>.
var listSizes = []int{10, 100, 1000}

func listNamespace(size int) string { return fmt.Sprintf("list%d", size) }

// widgets is the custom resource installed in both servers.
var widgets = schema.GroupVersionResource{Group: "bench.gantry.dev", Version: "v1", Resource: "widgets"}

// Prepare creates, as admin, what the load needs: the namespaces, a Role on configmaps and widgets bound to the
// load user in each, the widgets CRD, and the objects read. It returns once the load user can use all of it.
func Prepare(ctx context.Context, t *Target) error {
	cs, err := kubernetes.NewForConfig(t.Admin)
	if err != nil {
		return err
	}
	namespaces := []string{benchNamespace, watchNamespace}
	for _, size := range listSizes {
		namespaces = append(namespaces, listNamespace(size))
	}
	caBundle, err := caBundleOf(t.Admin)
	if err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	for _, ns := range namespaces {
		if err := ensureNamespaceAccess(ctx, cs, ns); err != nil {
			return fmt.Errorf("%s: namespace %s: %w", t.Name, ns, err)
		}
		if err := ensureRootCA(ctx, cs, ns, caBundle); err != nil {
			return fmt.Errorf("%s: namespace %s: %w", t.Name, ns, err)
		}
	}
	if err := installWidgetCRD(ctx, t.Admin); err != nil {
		return fmt.Errorf("%s: CRD: %w", t.Name, err)
	}
	for _, name := range []string{targetName, updatedName, patchedName} {
		if err := ensureConfigMap(ctx, cs, benchNamespace, name); err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	if err := ensureConfigMap(ctx, cs, watchNamespace, watchedName); err != nil {
		return fmt.Errorf("%s: %w", t.Name, err)
	}
	for _, size := range listSizes {
		if err := fillNamespace(ctx, cs, listNamespace(size), size); err != nil {
			return fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	return waitUserAccess(ctx, t)
}

// rootCAName is the ConfigMap every namespace of a cluster holds: Gantry creates it itself, a kube-apiserver's
// controller-manager would (the vanilla server here runs none, so Prepare creates it), so that both servers list
// the same objects.
const rootCAName = "kube-root-ca.crt"

// ensureRootCA makes sure namespace ns holds rootCAName with the server's CA bundle.
func ensureRootCA(ctx context.Context, cs kubernetes.Interface, ns string, caBundle []byte) error {
	_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: rootCAName},
		Data: map[string]string{"ca.crt": string(caBundle)}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// caBundleOf is the CA bundle a client config verifies its server with.
func caBundleOf(config *rest.Config) ([]byte, error) {
	if len(config.TLSClientConfig.CAData) > 0 {
		return config.TLSClientConfig.CAData, nil
	}
	if config.TLSClientConfig.CAFile != "" {
		return os.ReadFile(config.TLSClientConfig.CAFile)
	}
	return nil, fmt.Errorf("the admin config names no CA")
}

// ensureNamespaceAccess creates namespace ns and in it the Role and RoleBinding that authorize the load user.
func ensureNamespaceAccess(ctx context.Context, cs kubernetes.Interface, ns string) error {
	_, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	all := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	_, err = cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: loadRole},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: all},
			{APIGroups: []string{widgets.Group}, Resources: []string{widgets.Resource}, Verbs: all},
		},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	_, err = cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: loadRole},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: loadRole},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: loadUser}},
	}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}

// installWidgetCRD installs the namespaced Widget CRD and waits until it is Established.
func installWidgetCRD(ctx context.Context, admin *rest.Config) error {
	client, err := apiextensionsclient.NewForConfig(jsonConfig(admin))
	if err != nil {
		return err
	}
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: widgets.Resource + "." + widgets.Group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: widgets.Group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: widgets.Resource, Singular: "widget", Kind: "Widget",
				ListKind: "WidgetList"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: widgets.Version, Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"size":  {Type: "integer"},
							"color": {Type: "string"},
						}},
					},
				}}}},
		},
	}
	_, err = client.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		got, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		for _, c := range got.Status.Conditions {
			if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
				return true, nil
			}
		}
		return false, nil
	})
}

// jsonConfig is cfg speaking JSON, for APIs that need not speak protobuf.
func jsonConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.ContentType, c.AcceptContentTypes = "application/json", "application/json"
	return c
}

// newConfigMap is the small configmap every test object is.
func newConfigMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "bench"}},
		Data: map[string]string{"key": "value of " + name, "seq": "0"}}
}

func ensureConfigMap(ctx context.Context, cs kubernetes.Interface, ns, name string) error {
	_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, newConfigMap(name), metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("configmap %s/%s: %w", ns, name, err)
	}
	return nil
}

// fillNamespace creates count configmaps in ns with 16 concurrent writers.
func fillNamespace(ctx context.Context, cs kubernetes.Interface, ns string, count int) error {
	return parallel(count, 16, func(i int) error { return ensureConfigMap(ctx, cs, ns, fmt.Sprintf("cm-%04d", i)) })
}

// waitUserAccess waits until the load user may read a configmap and a widget: RBAC and the CRD are served
// from caches that follow etcd.
func waitUserAccess(ctx context.Context, t *Target) error {
	cs, err := kubernetes.NewForConfig(t.User)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(t.User)
	if err != nil {
		return err
	}
	fixed := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": widgets.Group + "/" + widgets.Version, "kind": "Widget",
		"metadata": map[string]interface{}{"name": fixedWidget}, "spec": map[string]interface{}{"size": int64(1)},
	}}
	var last error
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		if _, last = cs.CoreV1().ConfigMaps(benchNamespace).Get(ctx, targetName, metav1.GetOptions{}); last != nil {
			return false, nil
		}
		_, last = dyn.Resource(widgets).Namespace(benchNamespace).Create(ctx, fixed, metav1.CreateOptions{})
		if last != nil && !apierrors.IsAlreadyExists(last) {
			return false, nil
		}
		_, last = dyn.Resource(widgets).Namespace(benchNamespace).Get(ctx, fixedWidget, metav1.GetOptions{})
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("%s: the load user has no access: %v (last error: %v)", t.Name, err, last)
	}
	// The user is authorized by the RoleBindings alone: outside the tested namespaces it may not even read.
	if _, err := cs.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		return fmt.Errorf("%s: the load user should be forbidden to list configmaps in default, got %v", t.Name, err)
	}
	return nil
}

// workspaces is the resource of Gantry's Workspace objects.
var workspaces = schema.GroupVersionResource{Group: "tenancy.gantry.dev", Version: "v1alpha1", Resource: "workspaces"}

// CreateTestedWorkspace creates root:bench in Gantry, waits until it is Ready and points t at it.
func CreateTestedWorkspace(ctx context.Context, t *Target, root *rest.Config) error {
	if err := CreateWorkspaces(ctx, root, []string{testedWorkspace}); err != nil {
		return err
	}
	t.Admin = inWorkspace(t.Admin, "root:"+testedWorkspace)
	t.User = inWorkspace(t.User, "root:"+testedWorkspace)
	return nil
}

// OtherWorkspaceNames are the names of the n empty workspaces the tested one is measured among.
func OtherWorkspaceNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("other-%04d", i)
	}
	return names
}

// CreateWorkspaces creates the named workspaces in root with 16 concurrent clients and waits until every one is
// Ready.
func CreateWorkspaces(ctx context.Context, root *rest.Config, names []string) error {
	dyn, err := dynamic.NewForConfig(root)
	if err != nil {
		return err
	}
	ws := dyn.Resource(workspaces)
	err = parallel(len(names), 16, func(i int) error {
		obj := &unstructured.Unstructured{Object: map[string]interface{}{
			"apiVersion": workspaces.Group + "/" + workspaces.Version, "kind": "Workspace",
			"metadata": map[string]interface{}{"name": names[i]},
		}}
		return retry(ctx, func() error {
			_, err := ws.Create(ctx, obj, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				return nil
			}
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("creating workspaces: %w", err)
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var ready int
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 10*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, err := ws.List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		ready = 0
		for _, item := range list.Items {
			if phase, _, _ := unstructured.NestedString(item.Object, "status", "phase"); phase == "Ready" && want[item.GetName()] {
				ready++
			}
		}
		return ready == len(names), nil
	})
	if err != nil {
		return fmt.Errorf("%d of %d workspaces Ready: %w", ready, len(names), err)
	}
	return nil
}

// retry calls f until it succeeds, for up to a minute: a server just started may answer 503 or 429 for a while.
func retry(ctx context.Context, f func() error) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		last = f()
		return last == nil, nil
	})
	if err != nil {
		return fmt.Errorf("%w (last error: %v)", err, last)
	}
	return nil
}

// parallel runs f(0..n-1) on workers goroutines and returns the first error.
func parallel(n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}
