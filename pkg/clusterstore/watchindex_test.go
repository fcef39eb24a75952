package clusterstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// inNamespace is a request context of cluster in namespace ns ("" for a request across the workspace's namespaces).
func inNamespace(cluster logicalcluster.Name, ns string) context.Context {
	ctx := genericapirequest.NewContext()
	if ns != "" {
		ctx = genericapirequest.WithNamespace(ctx, ns)
	}
	return logicalcluster.WithCluster(ctx, cluster)
}

// TestWatchIndexedByWorkspace checks the watches the watch cache indexes by workspace (every watch in one
// workspace): each gets exactly its workspace's events of every kind, across namespaces or in one, with the
// client's own selectors still applied, while the wildcard watches get every workspace's. Each watch reads until
// the sentinel written last in its scope, so an event of another workspace, written before, would have arrived.
func TestWatchIndexedByWorkspace(t *testing.T) {
	store, _, _ := newConfigMapStore(t)
	cmAt := func(ns, name, value string) *corev1.ConfigMap {
		obj := cm(name, value, nil)
		obj.Namespace = ns
		return obj
	}
	a, b := logicalcluster.Name("clustera"), logicalcluster.Name("clusterb")
	for _, c := range []logicalcluster.Name{a, b} {
		for _, ns := range []string{"default", "other"} {
			_, err := store.Create(inNamespace(c, ns), cmAt(ns, "seed", "0"), nil, &metav1.CreateOptions{})
			require.NoError(t, err)
		}
	}
	list := listWhenReady(t, store, inNamespace(a, ""), &metainternalversion.ListOptions{})
	from := list.(*corev1.ConfigMapList).ResourceVersion

	open := func(ctx context.Context, opts metainternalversion.ListOptions) watch.Interface {
		opts.ResourceVersion = from
		w, err := store.Watch(ctx, &opts)
		require.NoError(t, err)
		t.Cleanup(w.Stop)
		return w
	}
	watches := map[string]watch.Interface{
		"a":                     open(inNamespace(a, ""), metainternalversion.ListOptions{}),
		"b":                     open(inNamespace(b, ""), metainternalversion.ListOptions{}),
		"a/default":             open(inNamespace(a, "default"), metainternalversion.ListOptions{}),
		"a labelled":            open(inNamespace(a, ""), metainternalversion.ListOptions{LabelSelector: labels.SelectorFromSet(labels.Set{"pick": "yes"})}),
		"a named seed":          open(inNamespace(a, ""), metainternalversion.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", "seed")}),
		"wildcard":              open(inNamespace(logicalcluster.Wildcard, ""), metainternalversion.ListOptions{}),
		"wildcard in namespace": open(inNamespace(logicalcluster.Wildcard, "other"), metainternalversion.ListOptions{}),
	}

	// Writes in both workspaces and both namespaces: a create, an update, a delete, a labelled create.
	write := func(c logicalcluster.Name, ns string) {
		ctx := inNamespace(c, ns)
		_, err := store.Create(ctx, cmAt(ns, "new", "1"), nil, &metav1.CreateOptions{})
		require.NoError(t, err)
		seed, err := store.Get(ctx, "seed", &metav1.GetOptions{})
		require.NoError(t, err)
		changed := seed.(*corev1.ConfigMap).DeepCopy()
		changed.Data["v"] = "2"
		_, _, err = store.Update(ctx, "seed", rest.DefaultUpdatedObjectInfo(changed), nil, nil, false, &metav1.UpdateOptions{})
		require.NoError(t, err)
		_, _, err = store.Delete(ctx, "new", rest.ValidateAllObjectFunc, &metav1.DeleteOptions{})
		require.NoError(t, err)
		labelled := cmAt(ns, "labelled", "1")
		labelled.Labels = map[string]string{"pick": "yes"}
		_, err = store.Create(ctx, labelled, nil, &metav1.CreateOptions{})
		require.NoError(t, err)
	}
	for _, c := range []logicalcluster.Name{b, a} {
		for _, ns := range []string{"other", "default"} {
			write(c, ns)
		}
	}
	// Last, what each watch ends on: the last event its scope and selectors let in.
	sentinel := func(c logicalcluster.Name, ns, name string, lbls map[string]string) {
		obj := cmAt(ns, name, "end")
		obj.Labels = lbls
		_, err := store.Create(inNamespace(c, ns), obj, nil, &metav1.CreateOptions{})
		require.NoError(t, err)
	}
	sentinel(b, "default", "end", nil)
	sentinel(a, "default", "end", map[string]string{"pick": "yes"})
	_, _, err := store.Delete(inNamespace(a, "default"), "seed", rest.ValidateAllObjectFunc, &metav1.DeleteOptions{})
	require.NoError(t, err)
	sentinel(a, "other", "end", nil)

	scoped := func(c, ns string) []string {
		return []string{
			"ADDED " + c + "/" + ns + "/new", "MODIFIED " + c + "/" + ns + "/seed", "DELETED " + c + "/" + ns + "/new",
			"ADDED " + c + "/" + ns + "/labelled",
		}
	}
	concat := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	want := map[string][]string{
		"a": concat(scoped("clustera", "other"), scoped("clustera", "default"), []string{"ADDED clustera/default/end",
			"DELETED clustera/default/seed", "ADDED clustera/other/end"}),
		"b":            concat(scoped("clusterb", "other"), scoped("clusterb", "default"), []string{"ADDED clusterb/default/end"}),
		"a/default":    concat(scoped("clustera", "default"), []string{"ADDED clustera/default/end", "DELETED clustera/default/seed"}),
		"a labelled":   {"ADDED clustera/other/labelled", "ADDED clustera/default/labelled", "ADDED clustera/default/end"},
		"a named seed": {"MODIFIED clustera/other/seed", "MODIFIED clustera/default/seed", "DELETED clustera/default/seed"},
		"wildcard": concat(scoped("clusterb", "other"), scoped("clusterb", "default"), scoped("clustera", "other"),
			scoped("clustera", "default"), []string{"ADDED clusterb/default/end", "ADDED clustera/default/end",
				"DELETED clustera/default/seed", "ADDED clustera/other/end"}),
		"wildcard in namespace": concat(scoped("clusterb", "other"), scoped("clustera", "other"), []string{"ADDED clustera/other/end"}),
	}
	for name, w := range watches {
		got := eventsUntil(t, w, want[name][len(want[name])-1])
		assert.Equal(t, want[name], got, "watch %q", name)
	}
}

// eventsUntil returns "<type> <cluster>/<namespace>/<name>" of w's events up to and including last.
func eventsUntil(t *testing.T, w watch.Interface, last string) []string {
	t.Helper()
	var got []string
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev := <-w.ResultChan():
			o, err := meta.Accessor(ev.Object)
			require.NoError(t, err, "event %v", ev)
			got = append(got, string(ev.Type)+" "+o.GetAnnotations()[logicalcluster.AnnotationKey]+"/"+o.GetNamespace()+"/"+o.GetName())
			if got[len(got)-1] == last {
				return got
			}
		case <-deadline:
			t.Fatalf("no %q within 30s; got %v", last, got)
		}
	}
}
