package virtualworkspace

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/gantry-dev/gantry/pkg/customresources"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// configMaps is a configmaps storage that reads objects by workspace, namespace and name; it only reads.
type configMaps struct {
	customresources.ReadUpdateStorage
	objects map[string]*corev1.ConfigMap
}

func (c configMaps) New() runtime.Object { return &corev1.ConfigMap{} }

func (c configMaps) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	cluster, _ := logicalcluster.From(ctx)
	namespace, _ := genericapirequest.NamespaceFrom(ctx)
	if cm, ok := c.objects[string(cluster)+"|"+namespace+"/"+name]; ok {
		return cm, nil
	}
	return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmaps"}, name)
}

// eventsFixture is the syncer fixture with a registry that reads configmaps: in workspace "team", namespace
// "default": "placed" (on gpu), "elsewhere" (on cpu), "unplaced"; in workspace "other": "placed" (on gpu).
func eventsFixture(t *testing.T) (*Registry, Target) {
	d := syncerFixture()
	r := NewRegistry(nil, nil, d)
	cm := func(name, uid string, labels map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(uid), Labels: labels}}
	}
	gpu, cpu := map[string]string{TargetLabel("compute", "gpu"): "Sync"}, map[string]string{TargetLabel("compute", "cpu"): "Sync"}
	store := configMaps{objects: map[string]*corev1.ConfigMap{
		"team|default/placed":    cm("placed", "uid-placed", gpu),
		"team|default/elsewhere": cm("elsewhere", "uid-elsewhere", cpu),
		"team|default/unplaced":  cm("unplaced", "uid-unplaced", nil),
		"other|default/placed":   cm("placed", "uid-other", gpu),
	}}
	require.NoError(t, r.SetBuiltins(map[schema.GroupVersionResource]rest.Storage{corev1.SchemeGroupVersion.WithResource("configmaps"): store}, nil))
	return r, Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: "gpu"}
}

// An event may be written only about an object placed on the syncer's own target, in the event's own workspace
// and namespace, of a resource it syncs; every other event is Forbidden.
func TestEventSubjectVisible(t *testing.T) {
	r, gpu := eventsFixture(t)
	event := func(ref corev1.ObjectReference) *corev1.Event {
		return &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "default"}, InvolvedObject: ref, Type: corev1.EventTypeWarning}
	}
	configMap := func(name string) corev1.ObjectReference {
		return corev1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: name}
	}
	info := &genericapirequest.RequestInfo{Verb: "create", Namespace: "default", Resource: "events", APIVersion: "v1"}
	check := func(cluster logicalcluster.Name, ref corev1.ObjectReference) error {
		return r.eventSubjectVisible(context.Background(), gpu, cluster, info, event(ref))
	}

	assert.NoError(t, check("team", configMap("placed")), "placed on gpu")
	withUID := configMap("placed")
	withUID.UID = "uid-placed"
	assert.NoError(t, check("team", withUID), "the right UID")

	otherNamespace := configMap("placed")
	otherNamespace.Namespace = "kube-system"
	wrongUID := configMap("placed")
	wrongUID.UID = "uid-other"
	for name, c := range map[string]struct {
		cluster logicalcluster.Name
		ref     corev1.ObjectReference
	}{
		"placed on another target":           {"team", configMap("elsewhere")},
		"placed nowhere":                     {"team", configMap("unplaced")},
		"missing":                            {"team", configMap("missing")},
		"another workspace's object":         {"third", configMap("placed")},
		"another namespace than the event's": {"team", otherNamespace},
		"another object of the same name":    {"team", wrongUID},
		"a kind it does not sync":            {"team", corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: "default", Name: "placed"}},
		"a kind of another group":            {"team", corev1.ObjectReference{APIVersion: "example.com/v1", Kind: "ConfigMap", Namespace: "default", Name: "placed"}},
		"no kind":                            {"team", corev1.ObjectReference{APIVersion: "v1", Namespace: "default", Name: "placed"}},
	} {
		err := check(c.cluster, c.ref)
		require.Error(t, err, name)
		assert.True(t, apierrors.IsForbidden(err), "%s: %v", name, err)
		assert.Contains(t, err.Error(), "a syncer may write only events about objects placed on its synctargets", name)
	}
	// In workspace "other", its own "placed" is the one the check reads: same name, another object.
	assert.NoError(t, check("other", configMap("placed")))
}

// The authorizer lets a syncer create and patch events, and refuses every other verb on them with the virtual
// workspace's 403; a view without EventWrites refuses them all.
func TestEventsAuthorizer(t *testing.T) {
	d := syncerFixture()
	authz := NewRegistry(nil, nil, d).Authorizer(nil, authorizer.AuthorizerFunc(syncers{"syncer": true}.Authorize))
	at := func(d *Definition, name string) context.Context {
		return WithTarget(logicalcluster.WithCluster(context.Background(), "team"), Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: name})
	}
	events := func(u, verb, sub string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: &user.DefaultInfo{Name: u}, Verb: verb, APIVersion: "v1", Resource: "events", Subresource: sub,
			Namespace: "default", ResourceRequest: true}
	}
	for _, verb := range []string{"create", "patch"} {
		decision, reason, err := authz.Authorize(at(d, "gpu"), events("syncer", verb, ""))
		require.NoError(t, err)
		assert.Equal(t, authorizer.DecisionAllow, decision, "%s: %s", verb, reason)
	}
	for _, verb := range []string{"get", "list", "watch", "update", "delete", "deletecollection"} {
		decision, reason, _ := authz.Authorize(at(d, "gpu"), events("syncer", verb, ""))
		assert.Equal(t, authorizer.DecisionDeny, decision, verb)
		assert.Contains(t, reason, "allows only [create patch] on events", verb)
	}
	decision, _, _ := authz.Authorize(at(d, "gpu"), events("syncer", "patch", "status"))
	assert.Equal(t, authorizer.DecisionDeny, decision, "no subresource")
	decision, reason, _ := authz.Authorize(at(d, "gpu"), events("other", "create", ""))
	assert.Equal(t, authorizer.DecisionDeny, decision, "no sync verb")
	assert.Equal(t, d.accessDenied(), reason)
	decision, reason, _ = authz.Authorize(at(d, "cpu"), events("syncer", "create", ""))
	assert.Equal(t, authorizer.DecisionDeny, decision, "another target")
	assert.Equal(t, d.accessDenied(), reason)

	noEvents := *d
	noEvents.EventWrites = false
	authz = NewRegistry(nil, nil, &noEvents).Authorizer(nil, authorizer.AuthorizerFunc(syncers{"syncer": true}.Authorize))
	decision, _, _ = authz.Authorize(at(&noEvents, "gpu"), events("syncer", "create", ""))
	assert.Equal(t, authorizer.DecisionDeny, decision, "a view without EventWrites")
}

// Events are written in one workspace: a create across every workspace ("*") is Forbidden, as is one outside a
// namespace; a registry without the events storage does not find them.
func TestServeEventsRefusesAcrossWorkspaces(t *testing.T) {
	r, gpu := eventsFixture(t)
	post := func(r *Registry, cluster logicalcluster.Name, namespace string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/namespaces/default/events", strings.NewReader(`{}`))
		ctx := WithTarget(logicalcluster.WithCluster(req.Context(), cluster), gpu)
		ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{IsResourceRequest: true, Verb: "create", APIPrefix: "api",
			APIVersion: "v1", Resource: "events", Namespace: namespace})
		rec := httptest.NewRecorder()
		r.Wrap(http.NotFoundHandler()).ServeHTTP(rec, req.WithContext(ctx))
		return rec
	}
	assert.Equal(t, http.StatusNotFound, post(r, "team", "default").Code, "no events storage handed over")

	events := unusedEvents{}
	require.NoError(t, r.SetBuiltins(map[schema.GroupVersionResource]rest.Storage{EventsResource: events}, nil))
	rec := post(r, logicalcluster.Wildcard, "default")
	assert.Equal(t, http.StatusForbidden, rec.Code, rec.Body.String())
	assert.Contains(t, rec.Body.String(), "events are written in one workspace and namespace")
	assert.Equal(t, http.StatusForbidden, post(r, "team", "").Code)
}

// unusedEvents is an events storage that stores nothing: the requests it gets are refused before.
type unusedEvents struct {
	customresources.ReadUpdateStorage
}

func (unusedEvents) New() runtime.Object { return &corev1.Event{} }

func (unusedEvents) Destroy() {}

func (configMaps) Destroy() {}
