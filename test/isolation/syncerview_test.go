package isolation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/filters"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/apidiscovery"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
	"github.com/gantry-dev/gantry/pkg/routing"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
)

// The syncer's view world: SyncTargets gpu and cpu in root:a (clustera), both supporting the export widgets of
// root:b (clusterb), which clusterb binds and clusterx does not. The user "syncer" may sync gpu alone. Every
// workspace holds, in namespace default, a ConfigMap placed on gpu, one placed on cpu, and one placed nowhere.
var (
	gpuLabel = virtualworkspace.TargetLabel("clustera", "gpu")
	cpuLabel = virtualworkspace.TargetLabel("clustera", "cpu")
)

type targets map[string]*computev1alpha1.SyncTarget

func (s targets) Get(cluster logicalcluster.Name, name string) (*computev1alpha1.SyncTarget, bool) {
	t, ok := s[logicalcluster.Key(cluster, name)]
	return t, ok
}

// syncGPU allows "syncer" the verb sync on clustera's SyncTarget gpu, and nothing else.
func syncGPU(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	cluster, _ := logicalcluster.From(ctx)
	if cluster == "clustera" && a.GetUser().GetName() == "syncer" && a.GetVerb() == virtualworkspace.SyncVerb &&
		a.GetResource() == "synctargets" && a.GetName() == "gpu" {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionDeny, "", nil
}

// newSyncerView returns the chain a request to the syncer's view goes through, as the server builds it: routing,
// request info, authorization by the virtual workspace registry, then its handler with configmaps stored in memory.
func newSyncerView(t testing.TB) http.Handler {
	crds := crdset.NewSet()
	widgets := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.example.com", UID: "identity",
			Annotations: map[string]string{crdset.BoundAnnotation: logicalcluster.Key("clusterb", "widgets")}},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Kind: "Widget"}},
		Status: apiextensionsv1.CustomResourceDefinitionStatus{AcceptedNames: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Kind: "Widget"}},
	}
	// services: a core-group resource the export offers too, as `kubectl gantry import-apis` offers a cluster's.
	services := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "services.core", UID: "identity",
			Annotations: map[string]string{crdset.BoundAnnotation: logicalcluster.Key("clusterb", "widgets")}},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: "", Scope: apiextensionsv1.NamespaceScoped,
			Names:    apiextensionsv1.CustomResourceDefinitionNames{Plural: "services", Kind: "Service"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1", Served: true, Storage: true}}},
		Status: apiextensionsv1.CustomResourceDefinitionStatus{AcceptedNames: apiextensionsv1.CustomResourceDefinitionNames{Plural: "services", Kind: "Service"},
			Conditions: []apiextensionsv1.CustomResourceDefinitionCondition{{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue}}},
	}
	crds.SetExport("clusterb", "widgets", []*apiextensionsv1.CustomResourceDefinition{widgets, services})
	crds.SetBound("clusterb", []*apiextensionsv1.CustomResourceDefinition{widgets, services})
	supported := &computev1alpha1.SyncTarget{Spec: computev1alpha1.SyncTargetSpec{
		SupportedAPIExports: []computev1alpha1.ExportReference{{Path: "root:b", Export: "widgets"}}}}
	syncer := virtualworkspace.Syncer(crds, targets{logicalcluster.Key("clustera", "gpu"): supported, logicalcluster.Key("clustera", "cpu"): supported}, resolver{})
	r := virtualworkspace.NewRegistry(nil, apidiscovery.New(apidiscovery.Config{CRDs: crds}), syncer)
	if err := r.SetBuiltins(map[schema.GroupVersionResource]rest.Storage{corev1.SchemeGroupVersion.WithResource("configmaps"): newMemoryConfigMaps()}, nil); err != nil {
		t.Fatal(err)
	}
	authz := r.Authorizer(authorizer.AuthorizerFunc(func(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
		return authorizer.DecisionDeny, "not a virtual workspace request", nil
	}), authorizer.AuthorizerFunc(syncGPU))
	handler := filters.WithAuthorization(r.Wrap(http.NotFoundHandler()), authz, registry.Codecs)
	handler = filters.WithRequestInfo(handler, requestInfo)
	asSyncer := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		handler.ServeHTTP(w, req.WithContext(genericapirequest.WithUser(req.Context(), &user.DefaultInfo{Name: "syncer"})))
	})
	return routing.WithClusterRouting(routing.WithUnknownWorkspace(asSyncer, registry.Codecs), resolver{}, r, registry.Codecs)
}

// checkSyncerView requests rawPath as the syncer and fails if the answer carries an object not placed on gpu, an
// object of another workspace than the one the path names, or a CRD gpu does not support there.
func checkSyncerView(t *testing.T, handler http.Handler, rawPath string) {
	req, err := http.NewRequest(http.MethodGet, "https://gantry.test"+rawPath, nil)
	if err != nil || req.URL.Host != "gantry.test" || req.URL.RawQuery != "" || req.URL.Fragment != "" {
		return
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return
	}
	target, _, isVirtual, valid := virtualTarget(req.URL.EscapedPath())
	want, named := oracle(target)
	objects, err := decodeAll(rec.Body.Bytes())
	if err != nil {
		return // discovery and table answers are not objects
	}
	for _, obj := range objects {
		if len(obj.Annotations) == 0 && obj.Name == "" {
			continue
		}
		if !isVirtual || !valid || !named {
			t.Fatalf("%q is no valid syncer view path but answered %s", rawPath, obj.Name)
		}
		if !strings.HasPrefix(req.URL.EscapedPath(), "/services/syncer/root:a/gpu/") && !strings.HasPrefix(req.URL.EscapedPath(), "/services/syncer/root%3Aa/gpu/") {
			t.Fatalf("%q is not gpu's view but answered %s", rawPath, obj.Name)
		}
		if strings.HasSuffix(obj.Name, ".example.com") {
			if obj.Name != "widgets.example.com" || want != logicalcluster.Wildcard && want != "clusterb" || len(obj.Annotations)+len(obj.Labels) > 0 || obj.UID != "" {
				t.Fatalf("%q answered CRD %+v for workspace %q", rawPath, obj, want)
			}
			continue
		}
		cluster := logicalcluster.Name(obj.Annotations[logicalcluster.AnnotationKey])
		if _, placed := obj.Labels[gpuLabel]; !placed || want != logicalcluster.Wildcard && cluster != want {
			t.Fatalf("%q (workspace %q) answered %s/%s labelled %v", rawPath, want, cluster, obj.Name, obj.Labels)
		}
	}
}

// decodeAll reads the objects of an answer: one object, a list's items, or a watch stream's objects.
func decodeAll(body []byte) ([]metav1.ObjectMeta, error) {
	var out []metav1.ObjectMeta
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		var doc struct {
			Kind     string            `json:"kind"`
			Metadata metav1.ObjectMeta `json:"metadata"`
			Items    []json.RawMessage `json:"items"`
			Object   *json.RawMessage  `json:"object"`
			Type     watch.EventType   `json:"type"`
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		raws := doc.Items
		if doc.Object != nil {
			raws = append(raws, *doc.Object)
		}
		if len(raws) == 0 && !strings.HasSuffix(doc.Kind, "List") {
			out = append(out, doc.Metadata)
		}
		for _, raw := range raws {
			var item struct {
				Metadata metav1.ObjectMeta `json:"metadata"`
			}
			if err := json.Unmarshal(raw, &item); err != nil {
				return nil, err
			}
			out = append(out, item.Metadata)
		}
	}
}

func FuzzSyncerView(f *testing.F) {
	for _, seed := range []string{
		"/services/syncer/root:a/gpu/clusters/*/api/v1/configmaps",
		"/services/syncer/root:a/gpu/clusters/*/api/v1/namespaces/default/configmaps",
		"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/default/configmaps",
		"/services/syncer/root:a/gpu/clusters/root:b/api/v1/namespaces/default/configmaps/placed-gpu",
		"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/default/configmaps/placed-cpu",
		"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/default/configmaps/unplaced",
		"/services/syncer/root:a/gpu/clusters/*/api/v1/watch/configmaps",
		"/services/syncer/root:a/gpu/clusters/clusterx/api/v1/watch/namespaces/default/configmaps",
		"/services/syncer/root:a/cpu/clusters/*/api/v1/configmaps",
		"/services/syncer/root:b/gpu/clusters/*/api/v1/configmaps",
		"/services/syncer/root:a/gpu/clusters/*/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
		"/services/syncer/root:a/gpu/clusters/clusterx/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
		"/services/syncer/root:a/gpu/clusters/root:b/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
		"/services/syncer/root:a/cpu/clusters/*/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
		"/services/syncer/root:a/gpu/clusters/*/api/v1/secrets",
		"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/serviceaccounts",
		"/clusters/clusterb/api/v1/namespaces/default/configmaps",
		"/services/syncer/root:a/gpu/clusters/*/api/v1",
		"/services/syncer/root:a/gpu/clusters/*/api/v1/services",
		"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/default/services/placed-gpu",
		"/services/syncer/root:a/gpu/clusters/clusterx/api/v1/namespaces/default/services",
		"/services/syncer/root:a/gpu/clusters/*/apis/core/v1/services",
		"/services/syncer/root:a/cpu/clusters/*/api/v1/services",
		"/services/syncer/root:a/gpu/clusters/*/apis/apiextensions.k8s.io/v1/customresourcedefinitions/services.core",
	} {
		f.Add(seed)
	}
	handler := newSyncerView(f)
	f.Fuzz(func(t *testing.T, rawPath string) { checkSyncerView(t, handler, rawPath) })
}

// TestSyncerViewSeesPlacedObjects makes sure the fuzz target's world answers at all: gpu's view lists the placed
// ConfigMap of every workspace.
func TestSyncerViewSeesPlacedObjects(t *testing.T) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "https://gantry.test/services/syncer/root:a/gpu/clusters/*/api/v1/configmaps", nil)
	newSyncerView(t).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d: %s", rec.Code, rec.Body.String())
	}
	objects, err := decodeAll(rec.Body.Bytes())
	if err != nil || len(objects) != len(workspaces) {
		t.Fatalf("want one placed ConfigMap per workspace, got %v (%v)", objects, err)
	}
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodGet, "https://gantry.test/services/syncer/root:a/gpu/clusters/*/apis/apiextensions.k8s.io/v1/customresourcedefinitions", nil)
	newSyncerView(t).ServeHTTP(rec, req)
	if objects, err := decodeAll(rec.Body.Bytes()); err != nil || len(objects) != 1 || objects[0].Name != "widgets.example.com" {
		t.Fatalf("want the widgets CRD, got %d %s", rec.Code, rec.Body.String())
	}
}

// memoryConfigMaps stores, like clusterstore, ConfigMaps by workspace: a request reads its own workspace's, and
// the wildcard lists and watches every workspace's but gets none.
type memoryConfigMaps struct {
	rest.TableConvertor
	items []*corev1.ConfigMap
}

func newMemoryConfigMaps() *memoryConfigMaps {
	s := &memoryConfigMaps{TableConvertor: rest.NewDefaultTableConvertor(corev1.Resource("configmaps"))}
	for _, cluster := range workspaces {
		for name, labels := range map[string]map[string]string{"placed-gpu": {gpuLabel: "Sync"}, "placed-cpu": {cpuLabel: "Sync"}, "unplaced": nil} {
			s.items = append(s.items, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: labels,
				Annotations: map[string]string{logicalcluster.AnnotationKey: string(cluster)}}})
		}
	}
	return s
}

func (s *memoryConfigMaps) New() runtime.Object     { return &corev1.ConfigMap{} }
func (s *memoryConfigMaps) NewList() runtime.Object { return &corev1.ConfigMapList{} }
func (s *memoryConfigMaps) Destroy()                {}

// visible returns the objects of ctx's workspace and namespace that options select.
func (s *memoryConfigMaps) visible(ctx context.Context, options *metainternalversion.ListOptions) ([]corev1.ConfigMap, error) {
	cluster, ok := logicalcluster.From(ctx)
	if !ok {
		return nil, apierrors.NewInternalError(errors.New("no workspace"))
	}
	namespace, _ := genericapirequest.NamespaceFrom(ctx)
	var out []corev1.ConfigMap
	for _, cm := range s.items {
		if cluster != logicalcluster.Wildcard && cm.Annotations[logicalcluster.AnnotationKey] != string(cluster) || namespace != "" && cm.Namespace != namespace {
			continue
		}
		if options != nil && options.LabelSelector != nil && !options.LabelSelector.Matches(labels.Set(cm.Labels)) {
			continue
		}
		out = append(out, *cm.DeepCopy())
	}
	return out, nil
}

func (s *memoryConfigMaps) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	if cluster, _ := logicalcluster.From(ctx); cluster == logicalcluster.Wildcard {
		return nil, apierrors.NewBadRequest("the wildcard workspace '*' allows only list and watch")
	}
	items, err := s.visible(ctx, nil)
	for i := range items {
		if items[i].Name == name {
			return &items[i], nil
		}
	}
	if err == nil {
		err = apierrors.NewNotFound(corev1.Resource("configmaps"), name)
	}
	return nil, err
}

func (s *memoryConfigMaps) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	items, err := s.visible(ctx, options)
	return &corev1.ConfigMapList{Items: items}, err
}

func (s *memoryConfigMaps) Watch(ctx context.Context, options *metainternalversion.ListOptions) (watch.Interface, error) {
	items, err := s.visible(ctx, options)
	if err != nil {
		return nil, err
	}
	events := make(chan watch.Event, len(items))
	for i := range items {
		events <- watch.Event{Type: watch.Added, Object: &items[i]}
	}
	close(events)
	return watch.NewProxyWatcher(events), nil
}

func (s *memoryConfigMaps) Update(context.Context, string, rest.UpdatedObjectInfo, rest.ValidateObjectFunc, rest.ValidateObjectUpdateFunc,
	bool, *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return nil, false, apierrors.NewMethodNotSupported(corev1.Resource("configmaps"), "update")
}

// TestSyncerViewCoreGroup: gpu's view lists the export's core-group services under /api/v1, next to the built-in
// configmaps, and not under /apis; cpu's view of the same paths is refused like every other.
func TestSyncerViewCoreGroup(t *testing.T) {
	handler := newSyncerView(t)
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://gantry.test"+path, nil))
		return rec
	}
	rec := get("/services/syncer/root:a/gpu/clusters/*/api/v1")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"name":"services"`) || !strings.Contains(rec.Body.String(), `"name":"configmaps"`) {
		t.Fatalf("want services and configmaps under /api/v1, got %d %s", rec.Code, rec.Body.String())
	}
	if rec := get("/services/syncer/root:a/gpu/clusters/*/apis"); strings.Contains(rec.Body.String(), `"name":""`) {
		t.Fatalf("the core group is listed under /apis: %s", rec.Body.String())
	}
	for _, path := range []string{"/services/syncer/root:a/cpu/clusters/*/api/v1", "/services/syncer/root:a/cpu/clusters/*/api/v1/services"} {
		if rec := get(path); rec.Code != http.StatusForbidden {
			t.Fatalf("%s: want 403, got %d %s", path, rec.Code, rec.Body.String())
		}
	}
}
