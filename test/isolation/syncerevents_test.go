package isolation

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
)

// memoryEvents records the events created through the syncer's view, with the workspace each was stored in; it
// reads nothing back, as the view never lets the syncer read events.
type memoryEvents struct {
	rest.TableConvertor
	mu      sync.Mutex
	created []storedEvent
}

type storedEvent struct {
	cluster logicalcluster.Name
	event   *corev1.Event
}

func (s *memoryEvents) New() runtime.Object     { return &corev1.Event{} }
func (s *memoryEvents) NewList() runtime.Object { return &corev1.EventList{} }
func (s *memoryEvents) Destroy()                {}

func (s *memoryEvents) Create(ctx context.Context, obj runtime.Object, validate rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	if validate != nil {
		if err := validate(ctx, obj); err != nil {
			return nil, err
		}
	}
	cluster, _ := logicalcluster.From(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.created = append(s.created, storedEvent{cluster: cluster, event: obj.(*corev1.Event).DeepCopy()})
	return obj, nil
}

func (s *memoryEvents) Get(_ context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	return nil, apierrors.NewNotFound(corev1.Resource("events"), name)
}

func (s *memoryEvents) List(context.Context, *metainternalversion.ListOptions) (runtime.Object, error) {
	return &corev1.EventList{}, nil
}

func (s *memoryEvents) Watch(context.Context, *metainternalversion.ListOptions) (watch.Interface, error) {
	return watch.NewEmptyWatch(), nil
}

func (s *memoryEvents) Update(_ context.Context, name string, _ rest.UpdatedObjectInfo, _ rest.ValidateObjectFunc, _ rest.ValidateObjectUpdateFunc,
	_ bool, _ *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return nil, false, apierrors.NewNotFound(corev1.Resource("events"), name)
}

// take returns and forgets what was created.
func (s *memoryEvents) take() []storedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.created
	s.created = nil
	return out
}

// newSyncerEventsView is newSyncerView with the events storage handed to the registry.
func newSyncerEventsView(t testing.TB) (http.Handler, *memoryEvents) {
	events := &memoryEvents{TableConvertor: rest.NewDefaultTableConvertor(corev1.Resource("events"))}
	handler := newSyncerViewWith(t, map[schema.GroupVersionResource]rest.Storage{virtualworkspace.EventsResource: events})
	return handler, events
}

// checkSyncerEventWrite POSTs, as gpu's syncer, an event about ConfigMap subject of namespace default to rawPath,
// and fails if any event was stored other than in the one workspace the path names, in namespace default, about a
// ConfigMap of that workspace placed on gpu (placed-gpu; every workspace has one).
func checkSyncerEventWrite(t *testing.T, handler http.Handler, events *memoryEvents, rawPath, subject string) {
	body, _ := json.Marshal(corev1.Event{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "default"}, Type: corev1.EventTypeWarning, Reason: "BackOff",
		InvolvedObject: corev1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: subject}})
	req, err := http.NewRequest(http.MethodPost, "https://gantry.test"+rawPath, strings.NewReader(string(body)))
	if err != nil || req.URL.Host != "gantry.test" || req.URL.RawQuery != "" || req.URL.Fragment != "" {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	stored := events.take()
	if rec.Code >= 300 {
		if len(stored) > 0 {
			t.Fatalf("%q answered %d but stored %v", rawPath, rec.Code, stored)
		}
		return
	}
	target, _, isVirtual, valid := virtualTarget(req.URL.EscapedPath())
	want, named := oracle(target)
	for _, s := range stored {
		if !isVirtual || !valid || !named || want == logicalcluster.Wildcard {
			t.Fatalf("%q is no syncer view path of one workspace but stored an event in %q", rawPath, s.cluster)
		}
		if !strings.HasPrefix(req.URL.EscapedPath(), "/services/syncer/root:a/gpu/") && !strings.HasPrefix(req.URL.EscapedPath(), "/services/syncer/root%3Aa/gpu/") {
			t.Fatalf("%q is not gpu's view but stored an event", rawPath)
		}
		if s.cluster != want || s.event.Namespace != "default" || s.event.InvolvedObject.Name != "placed-gpu" {
			t.Fatalf("%q (workspace %q) stored an event in %q/%s about %s", rawPath, want, s.cluster, s.event.Namespace, s.event.InvolvedObject.Name)
		}
	}
}

func FuzzSyncerViewEventWrites(f *testing.F) {
	for _, seed := range []struct{ path, subject string }{
		{"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/default/events", "placed-gpu"},
		{"/services/syncer/root:a/gpu/clusters/root:b/api/v1/namespaces/default/events", "placed-gpu"},
		{"/services/syncer/root:a/gpu/clusters/clusterx/api/v1/namespaces/default/events", "placed-gpu"},
		{"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/default/events", "placed-cpu"},
		{"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/default/events", "unplaced"},
		{"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/default/events", "missing"},
		{"/services/syncer/root:a/gpu/clusters/*/api/v1/namespaces/default/events", "placed-gpu"},
		{"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/other/events", "placed-gpu"},
		{"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/events", "placed-gpu"},
		{"/services/syncer/root:a/cpu/clusters/clusterb/api/v1/namespaces/default/events", "placed-gpu"},
		{"/services/syncer/root:b/gpu/clusters/clusterb/api/v1/namespaces/default/events", "placed-gpu"},
		{"/services/syncer/root:a/gpu/clusters/nowhere/api/v1/namespaces/default/events", "placed-gpu"},
		{"/services/syncer/root:a/gpu/clusters/clusterb/apis/events.k8s.io/v1/namespaces/default/events", "placed-gpu"},
		{"/clusters/clusterb/api/v1/namespaces/default/events", "placed-gpu"},
	} {
		f.Add(seed.path, seed.subject)
	}
	handler, events := newSyncerEventsView(f)
	f.Fuzz(func(t *testing.T, rawPath, subject string) {
		checkSyncerEventWrite(t, handler, events, rawPath, subject)
	})
}

// TestSyncerViewEventWrites makes sure the event fuzz target's world answers at all: gpu's syncer writes an event
// about its placed ConfigMap into that workspace, and is refused one about another target's, across workspaces, or
// a read of events.
func TestSyncerViewEventWrites(t *testing.T) {
	handler, events := newSyncerEventsView(t)
	post := func(path, subject string) (int, string) {
		body := `{"apiVersion":"v1","kind":"Event","metadata":{"name":"e","namespace":"default"},"type":"Warning",` +
			`"involvedObject":{"apiVersion":"v1","kind":"ConfigMap","namespace":"default","name":"` + subject + `"}}`
		req := httptest.NewRequest(http.MethodPost, "https://gantry.test"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	if code, body := post("/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/default/events", "placed-gpu"); code != http.StatusCreated {
		t.Fatalf("want 201, got %d %s", code, body)
	}
	if stored := events.take(); len(stored) != 1 || stored[0].cluster != "clusterb" {
		t.Fatalf("want one event stored in clusterb, got %v", stored)
	}
	for path, subject := range map[string]string{
		"/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/default/events": "placed-cpu",
		"/services/syncer/root:a/gpu/clusters/*/api/v1/namespaces/default/events":        "placed-gpu",
		"/services/syncer/root:a/cpu/clusters/clusterb/api/v1/namespaces/default/events": "placed-gpu",
	} {
		if code, body := post(path, subject); code != http.StatusForbidden {
			t.Fatalf("%s about %s: want 403, got %d %s", path, subject, code, body)
		}
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://gantry.test/services/syncer/root:a/gpu/clusters/clusterb/api/v1/namespaces/default/events", nil))
	if rec.Code != http.StatusForbidden {
		t.Fatalf("a list of events: want 403, got %d %s", rec.Code, rec.Body.String())
	}
	if stored := events.take(); len(stored) != 0 {
		t.Fatalf("refused writes stored %v", stored)
	}
}
