package isolation

import (
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/storage"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/routing"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
)

// workspaces is the fixed world of the fuzz test: paths and the logical clusters they name.
var workspaces = map[logicalcluster.Path]logicalcluster.Name{
	"root": "root", "root:a": "clustera", "root:b": "clusterb", "root:a:x": "clusterx",
}

type resolver struct{}

func (resolver) Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool) {
	if ref.Path != "" {
		c, ok := workspaces[ref.Path]
		return c, ok
	}
	if slices.Contains(slices.Collect(maps.Values(workspaces)), ref.Name) {
		return ref.Name, true
	}
	return "", false
}

// oracle says, independently of the routing code, which cluster a raw URL names: the first path segment after
// /clusters/, percent-decoded, must be exactly a known path, cluster name or "*".
func oracle(escapedPath string) (logicalcluster.Name, bool) {
	rest, ok := strings.CutPrefix(escapedPath, "/clusters/")
	if !ok {
		return "", false
	}
	seg, _, _ := strings.Cut(rest, "/")
	ref, err := url.PathUnescape(seg)
	if err != nil {
		return "", false
	}
	if ref == "*" {
		return logicalcluster.Wildcard, true
	}
	if c, ok := workspaces[logicalcluster.Path(ref)]; ok {
		return c, true
	}
	for _, c := range workspaces {
		if string(c) == ref && !strings.Contains(ref, ":") && ref != "root" {
			return c, true
		}
	}
	if ref == "root" {
		return "root", true
	}
	return "", false
}

// virtualPrefixes are the virtual workspaces of the fuzz test's registry.
var virtualPrefixes = []string{"/services/apiexport/", "/services/syncer/"}

// virtualTarget strips a virtual workspace prefix, /services/<apiexport|syncer>/<path>/<object>, from an escaped
// path: a virtual workspace request runs in the workspace its own /clusters/<ref> names, and accepts the
// ServiceAccount tokens of its object's workspace (objectCluster, empty when that workspace does not exist).
// virtual is false for a path without such a prefix; valid is false for a malformed prefix, which must reach nothing.
func virtualTarget(escapedPath string) (target string, objectCluster logicalcluster.Name, virtual, valid bool) {
	var rest string
	for _, prefix := range virtualPrefixes {
		if r, ok := strings.CutPrefix(escapedPath, prefix); ok {
			rest, virtual = r, true
		}
	}
	if !virtual {
		return escapedPath, "", false, true
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) < 3 {
		return "", "", true, false
	}
	path, err := url.PathUnescape(parts[0])
	if err != nil {
		return "", "", true, false
	}
	if _, err := logicalcluster.ParsePath(path); err != nil {
		return "", "", true, false
	}
	name, err := url.PathUnescape(parts[1])
	if err != nil || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return "", "", true, false
	}
	return "/" + parts[2], workspaces[logicalcluster.Path(path)], true, true
}

// recorder is a storage.Interface that records the keys it is asked for.
type recorder struct {
	storage.Interface
	keys []string
}

func (r *recorder) Get(_ context.Context, key string, _ storage.GetOptions, _ runtime.Object) error {
	r.keys = append(r.keys, key)
	return nil
}

func (r *recorder) GetList(_ context.Context, key string, _ storage.ListOptions, _ runtime.Object) error {
	r.keys = append(r.keys, key)
	return nil
}

var requestInfo = &genericapirequest.RequestInfoFactory{APIPrefixes: sets.NewString("api", "apis"), GrouplessAPIPrefixes: sets.NewString("api")}

// newVirtualWorkspaces returns a registry of every virtual workspace, over no objects.
func newVirtualWorkspaces() *virtualworkspace.Registry {
	crds := crdset.NewSet()
	return virtualworkspace.NewRegistry(nil, nil, virtualworkspace.APIExport(crds),
		virtualworkspace.Syncer(crds, clusterwatch.NewStore[*computev1alpha1.SyncTarget](), resolver{}))
}

func check(t *testing.T, rawPath string) {
	req, err := http.NewRequest(http.MethodGet, "https://gantry.test"+rawPath, nil)
	if err != nil || req.URL.Host != "gantry.test" || req.URL.RawQuery != "" || req.URL.Fragment != "" {
		return // not a request a server would see on this path
	}
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, metav1.SchemeGroupVersion)
	codecs := serializer.NewCodecFactory(scheme).WithoutConversion()

	rec := &recorder{}
	reached := false
	var cluster logicalcluster.Name
	var haveCluster, haveCredential bool
	var credential logicalcluster.Name
	inner := http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
		reached = true
		cluster, haveCluster = logicalcluster.From(req.Context())
		credential, haveCredential = logicalcluster.CredentialCluster(req.Context())
		info, err := requestInfo.NewRequestInfo(req)
		if err != nil || !info.IsResourceRequest || info.APIGroup != "" || info.Resource != "configmaps" {
			return
		}
		ctx := req.Context()
		store := clusterstore.New(rec, "/core/configmaps")
		key := "/core/configmaps"
		if info.Namespace != "" {
			ctx = genericapirequest.WithNamespace(ctx, info.Namespace)
			key += "/" + info.Namespace
		}
		if info.Name != "" {
			_ = store.Get(ctx, key+"/"+info.Name, storage.GetOptions{}, nil)
		} else {
			_ = store.GetList(ctx, key, storage.ListOptions{Recursive: true}, nil)
		}
	})
	handler := routing.WithClusterRouting(routing.WithUnknownWorkspace(inner, codecs), resolver{}, newVirtualWorkspaces(), codecs)
	handler.ServeHTTP(httptest.NewRecorder(), req)

	target, objectCluster, isVirtual, valid := virtualTarget(req.URL.EscapedPath())
	if isVirtual && valid && reached && (haveCredential != (objectCluster != "") || credential != objectCluster) {
		t.Fatalf("%q accepts the ServiceAccount tokens of %q, not those of its object's workspace %q", rawPath, credential, objectCluster)
	}
	if !valid {
		if haveCluster || len(rec.keys) > 0 {
			t.Fatalf("%q is a malformed virtual workspace path but reached storage with cluster %q, keys %v", rawPath, cluster, rec.keys)
		}
		return
	}
	want, named := oracle(target)
	if !strings.HasPrefix(target, "/clusters/") {
		if haveCluster || len(rec.keys) > 0 {
			t.Fatalf("%q names no workspace but reached storage with cluster %q, keys %v", rawPath, cluster, rec.keys)
		}
		return
	}
	if !named {
		if haveCluster || len(rec.keys) > 0 {
			t.Fatalf("%q names no existing workspace but ran in %q with keys %v", rawPath, cluster, rec.keys)
		}
		return
	}
	if !reached {
		return // refused before the handler, for example an invalid path below the workspace
	}
	if !haveCluster || cluster != want {
		t.Fatalf("%q names workspace %q but ran in %q", rawPath, want, cluster)
	}
	for _, key := range rec.keys {
		if want == logicalcluster.Wildcard {
			if key != "/core/configmaps" {
				t.Fatalf("%q: a wildcard request read %q", rawPath, key)
			}
			continue
		}
		if !strings.HasPrefix(key, "/core/configmaps/"+string(want)+"/") && key != "/core/configmaps/"+string(want) {
			t.Fatalf("%q names workspace %q but read storage key %q", rawPath, want, key)
		}
	}
}

func FuzzIsolation(f *testing.F) {
	for _, seed := range []string{
		"/clusters/root:a/api/v1/namespaces/default/configmaps/x",
		"/clusters/root:b/api/v1/namespaces/default/configmaps",
		"/clusters/clusterx/api/v1/configmaps",
		"/clusters/*/api/v1/namespaces/default/configmaps/x",
		"/clusters/%2A/api/v1/configmaps",
		"/clusters/root%3Aa/api/v1/namespaces/default/configmaps/x",
		"/clusters/root:a%2F..%2Froot:b/api/v1/namespaces/default/configmaps/x",
		"/clusters/root:a/../root:b/api/v1/namespaces/default/configmaps/x",
		"/clusters/root:a/api/v1/namespaces/..%2F..%2Fclusterb/configmaps/x",
		"/clusters/root:a/api/v1/namespaces/default/configmaps/..",
		"/clusters//api/v1/configmaps",
		"/clusters/root::a/api/v1/configmaps",
		"/clusters/ROOT:A/api/v1/configmaps",
		"/clusters/root:é/api/v1/configmaps",
		"/clusters/root:a:x:..:x/api/v1/configmaps",
		"/clusters/nope/api/v1/namespaces/default/configmaps/x",
		"//clusters/root:a/api/v1/configmaps",
		"/api/v1/namespaces/default/configmaps/x",
		"/clusters/root:a",
		"/services/apiexport/root:a/widgets/clusters/root:b/api/v1/namespaces/default/configmaps/x",
		"/services/apiexport/root:a/widgets/clusters/*/api/v1/configmaps",
		"/services/apiexport/root%3Aa/widgets/clusters/clusterx/api/v1/configmaps",
		"/services/apiexport/root:a/widgets/clusters/..%2Fclusters%2Froot:b/api/v1/configmaps",
		"/services/apiexport/root:a/widgets/api/v1/namespaces/default/configmaps/x",
		"/services/apiexport/root:a/../../clusters/root:b/api/v1/configmaps",
		"/services/apiexport/root:nowhere/w/clusters/root:a/api/v1/configmaps",
		"/services/syncer/root:a/gpu/clusters/root:b/apis/example.com/v1/namespaces/default/widgets/x",
		"/services/syncer/root:a/gpu/clusters/*/api/v1/configmaps",
		"/services/syncer/root%3Aa/gpu/clusters/clusterb/api/v1/namespaces/default/configmaps/x",
		"/services/syncer/root:a/gpu/clusters/..%2Fclusters%2Froot:b/api/v1/configmaps",
		"/services/syncer/root:a/../../clusters/root:b/api/v1/configmaps",
		"/services/syncer/root:nowhere/gpu/clusters/root:a/api/v1/configmaps",
		"/services/syncer/root:a/GPU/clusters/root:b/api/v1/configmaps",
	} {
		f.Add(seed)
	}
	f.Fuzz(check)
}
