package apibinding

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// paths is a fixed set of workspaces: path -> logical cluster.
type paths map[logicalcluster.Path]logicalcluster.Name

func (p paths) Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool) {
	n, ok := p[ref.Path]
	return n, ok
}

func (p paths) Path(cluster logicalcluster.Name) (logicalcluster.Path, bool) {
	for path, n := range p {
		if n == cluster {
			return path, true
		}
	}
	return "", false
}

func in(cluster logicalcluster.Name, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), ResourceVersion: "7",
		Annotations: map[string]string{logicalcluster.AnnotationKey: string(cluster)}}
}

// newTestController is a controller with empty indexes over the given workspaces, for deciding bindings.
func newTestController(workspaces paths) *Controller {
	return &Controller{
		config:        Config{Workspaces: workspaces, CRDs: crdset.NewSet()},
		exports:       clusterwatch.NewStore[*apisv1alpha1.APIExport](),
		schemas:       clusterwatch.NewStore[*apisv1alpha1.APIResourceSchema](),
		reserved:      registry.NewReserved(registry.ServedGroups()),
		consumers:     map[string]map[logicalcluster.Name]bool{},
		bindsTo:       map[logicalcluster.Name]map[string]bool{},
		crds:          map[string]*apiextensionsv1.CustomResourceDefinition{},
		servedSchemas: map[string]servedSchema{},
	}
}

func TestDecide(t *testing.T) {
	c := newTestController(paths{"root:provider": "prov"})
	add := func(obj any) { require.NoError(t, c.exports.Add(obj)) }
	add(&apisv1alpha1.APIExport{ObjectMeta: in("prov", "ready"), Spec: apisv1alpha1.APIExportSpec{LatestResourceSchemas: []string{"v1.widgets.example.com"}},
		Status: apisv1alpha1.APIExportStatus{IdentityHash: "id"}})
	add(&apisv1alpha1.APIExport{ObjectMeta: in("prov", "new"), Spec: apisv1alpha1.APIExportSpec{LatestResourceSchemas: []string{"v1.widgets.example.com"}}})
	add(&apisv1alpha1.APIExport{ObjectMeta: in("prov", "broken"), Spec: apisv1alpha1.APIExportSpec{LatestResourceSchemas: []string{"missing"}},
		Status: apisv1alpha1.APIExportStatus{IdentityHash: "id2"}})
	require.NoError(t, c.schemas.Add(&apisv1alpha1.APIResourceSchema{ObjectMeta: in("prov", "v1.widgets.example.com"), Spec: apisv1alpha1.APIResourceSchemaSpec{
		Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
		Names:    apiextensionsv1.CustomResourceDefinitionNames{Kind: "Widget", Plural: "widgets"},
		Versions: []apisv1alpha1.APIResourceVersion{{Name: "v1", Served: true, Storage: true}},
	}}))

	for _, tc := range []struct {
		path, export, reason string
		wait                 bool
		exportCluster        logicalcluster.Name
	}{
		{path: "root:nowhere", export: "ready", reason: "APIExportNotFound"},
		{path: "root:provider", export: "absent", reason: "APIExportNotFound", exportCluster: "prov"},
		{path: "root:provider", export: "new", reason: reasonWaitingForIdentity, wait: true, exportCluster: "prov"},
		{path: "root:provider", export: "broken", reason: "APIResourceSchemaNotFound", exportCluster: "prov"},
		{path: "root:provider", export: "ready", reason: "Bound", exportCluster: "prov"},
	} {
		t.Run(tc.export+" in "+tc.path, func(t *testing.T) {
			b := &apisv1alpha1.APIBinding{ObjectMeta: in("user", "b"), Spec: apisv1alpha1.APIBindingSpec{Reference: apisv1alpha1.BindingReference{
				Export: &apisv1alpha1.ExportBindingReference{Path: tc.path, Name: tc.export}}}}
			status, crds, wait, exportCluster := c.decide("user", b, map[string]string{})
			assert.Equal(t, tc.reason, meta.FindStatusCondition(status.Conditions, apisv1alpha1.APIBindingReady).Reason)
			assert.Equal(t, tc.wait, wait)
			assert.Equal(t, tc.exportCluster, exportCluster)
			if tc.reason != "Bound" {
				assert.Empty(t, crds)
				assert.Equal(t, apisv1alpha1.APIBindingPhaseBinding, status.Phase)
				return
			}
			require.Len(t, crds, 1)
			assert.Equal(t, "widgets.example.com", crds[0].Name)
			assert.Equal(t, apisv1alpha1.APIBindingPhaseBound, status.Phase)
			assert.Equal(t, []apisv1alpha1.BoundAPIResource{{Group: "example.com", Resource: "widgets", StorageVersions: []string{"v1"},
				Schema: apisv1alpha1.BoundSchema{Name: "v1.widgets.example.com", UID: "uid-v1.widgets.example.com", IdentityHash: "id"}}}, status.BoundResources)
		})
	}
}

func TestCoreResources(t *testing.T) {
	c := newTestController(paths{"root:compute": "comp"})
	for _, r := range []struct{ kind, plural string }{{"Service", "services"}, {"ConfigMap", "configmaps"}} {
		name := "k1." + r.plural + ".core"
		require.NoError(t, c.schemas.Add(&apisv1alpha1.APIResourceSchema{ObjectMeta: in("comp", name), Spec: apisv1alpha1.APIResourceSchemaSpec{
			Scope: apiextensionsv1.NamespaceScoped, Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: r.kind, Plural: r.plural},
			Versions: []apisv1alpha1.APIResourceVersion{{Name: "v1", Served: true, Storage: true}},
		}}))
		require.NoError(t, c.exports.Add(&apisv1alpha1.APIExport{ObjectMeta: in("comp", r.plural),
			Spec: apisv1alpha1.APIExportSpec{LatestResourceSchemas: []string{name}}, Status: apisv1alpha1.APIExportStatus{IdentityHash: "id-" + r.plural}}))
	}
	bind := func(export string) (apisv1alpha1.APIBindingStatus, []*apiextensionsv1.CustomResourceDefinition) {
		b := &apisv1alpha1.APIBinding{ObjectMeta: in("team", "b"), Spec: apisv1alpha1.APIBindingSpec{Reference: apisv1alpha1.BindingReference{
			Export: &apisv1alpha1.ExportBindingReference{Path: "root:compute", Name: export}}}}
		status, crds, _, _ := c.decide("team", b, map[string]string{})
		return status, crds
	}

	status, crds := bind("services")
	assert.Equal(t, apisv1alpha1.APIBindingPhaseBound, status.Phase, "Gantry does not serve services itself")
	require.Len(t, crds, 1)
	assert.Equal(t, "services.core", crds[0].Name)
	assert.Equal(t, "", crds[0].Spec.Group)

	status, crds = bind("configmaps")
	assert.Empty(t, crds)
	names := meta.FindStatusCondition(status.Conditions, apisv1alpha1.APIBindingNamesAccepted)
	require.NotNil(t, names)
	assert.Equal(t, "NamingConflict", names.Reason)
	assert.Equal(t, `core resource "configmaps" is served by Gantry itself`, names.Message)
}

// TestGenerationFollowsTheExport checks the order the custom resource server serves bound schemas in: an export
// that turns to a newer schema and then back to the earlier one is followed both ways, its other changes do not
// make a new generation, and a decision made from an older read of the export never outranks a newer one.
func TestGenerationFollowsTheExport(t *testing.T) {
	c := newTestController(paths{"root:provider": "prov"})
	// The schema the export goes back to is the older object: created first, lower resource version. Each is told
	// apart by the printer column it adds.
	schemas := map[string]*apisv1alpha1.APIResourceSchema{}
	for name, rv := range map[string]string{"earlier": "5", "later": "9"} {
		meta := in("prov", name+".widgets.example.com")
		meta.ResourceVersion = rv
		schemas[name] = &apisv1alpha1.APIResourceSchema{ObjectMeta: meta, Spec: apisv1alpha1.APIResourceSchemaSpec{
			Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Kind: "Widget", Plural: "widgets"},
			Versions: []apisv1alpha1.APIResourceVersion{{Name: "v1", Served: true, Storage: true,
				AdditionalPrinterColumns: []apiextensionsv1.CustomResourceColumnDefinition{{Name: name, Type: "string", JSONPath: ".spec." + name}}}},
		}}
		require.NoError(t, c.schemas.Add(schemas[name]))
	}
	exportAt := func(rv, schema string) {
		meta := in("prov", "widgets")
		meta.ResourceVersion = rv
		require.NoError(t, c.exports.Update(&apisv1alpha1.APIExport{ObjectMeta: meta,
			Spec:   apisv1alpha1.APIExportSpec{LatestResourceSchemas: []string{schema + ".widgets.example.com"}},
			Status: apisv1alpha1.APIExportStatus{IdentityHash: "id"}}))
	}
	bound := func() (string, int64, *apiextensionsv1.CustomResourceDefinition) {
		b := &apisv1alpha1.APIBinding{ObjectMeta: in("user", "b"), Spec: apisv1alpha1.APIBindingSpec{Reference: apisv1alpha1.BindingReference{
			Export: &apisv1alpha1.ExportBindingReference{Path: "root:provider", Name: "widgets"}}}}
		_, crds, _, _ := c.decide("user", b, map[string]string{})
		require.Len(t, crds, 1)
		return crds[0].Spec.Versions[0].AdditionalPrinterColumns[0].Name, crds[0].Generation, crds[0]
	}

	exportAt("10", "earlier")
	schema, generation, _ := bound()
	assert.Equal(t, "earlier", schema)
	assert.Equal(t, int64(10), generation)

	exportAt("20", "later")
	schema, generation, _ = bound()
	assert.Equal(t, "later", schema)
	assert.Equal(t, int64(20), generation)

	exportAt("30", "earlier")
	schema, generation, back := bound()
	assert.Equal(t, "earlier", schema)
	assert.Equal(t, int64(30), generation, "back to the earlier schema: a higher generation than the later one's, so that it is served")

	exportAt("40", "earlier")
	schema, generation, same := bound()
	assert.Equal(t, "earlier", schema)
	assert.Equal(t, int64(30), generation, "an export's change that keeps its schemas keeps the generation")
	assert.Same(t, back, same, "and the very object, so that nothing is rebuilt")

	stale := c.boundCRD(schemas["later"], "id", "prov|widgets", 25)
	assert.Less(t, stale.Generation, same.Generation, "a decision from an older read of the export ranks below the newer one")
	schema, generation, _ = bound()
	assert.Equal(t, "earlier", schema)
	assert.Equal(t, int64(30), generation, "and does not change what the export serves")
}
