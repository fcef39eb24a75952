package workspacetype

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// tree is a Hierarchy: cluster -> (parent, type, path).
type tree map[logicalcluster.Name]struct {
	parent   logicalcluster.Name
	typeName string
	path     logicalcluster.Path
}

func (t tree) Parent(c logicalcluster.Name) (logicalcluster.Name, string, bool) {
	n, ok := t[c]
	return n.parent, n.typeName, ok
}

func (t tree) Path(c logicalcluster.Name) (logicalcluster.Path, bool) {
	if c == logicalcluster.Root {
		return logicalcluster.RootPath, true
	}
	n, ok := t[c]
	return n.path, ok
}

func wsType(cluster, name string, spec tenancyv1alpha1.WorkspaceTypeSpec) *tenancyv1alpha1.WorkspaceType {
	return &tenancyv1alpha1.WorkspaceType{Spec: spec, ObjectMeta: metav1.ObjectMeta{Name: name,
		Annotations: map[string]string{logicalcluster.AnnotationKey: cluster}}}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	hierarchy := tree{
		"org":   {parent: logicalcluster.Root, typeName: Organization, path: "root:org"},
		"teama": {parent: "org", typeName: Team, path: "root:org:team-a"},
		"teamb": {parent: "org", typeName: Team, path: "root:org:team-b"},
		"sub":   {parent: "teama", typeName: "", path: "root:org:team-a:sub"},
	}
	types := clusterwatch.NewStore[*tenancyv1alpha1.WorkspaceType]()
	require.NoError(t, types.Replace([]interface{}{
		wsType("org", "gpu", tenancyv1alpha1.WorkspaceTypeSpec{NoChildren: true}),
		wsType("org", Team, tenancyv1alpha1.WorkspaceTypeSpec{AllowedChildTypes: []string{Universal, "gpu"}}),
		wsType("teamb", "b-only", tenancyv1alpha1.WorkspaceTypeSpec{}),
	}, "1"))
	r := &Resolver{Types: types, Workspaces: hierarchy}

	root, err := r.TypeOf(ctx, logicalcluster.Root)
	require.NoError(t, err)
	assert.Equal(t, Root, root.Name)
	assert.Equal(t, Organization, root.DefaultChild())
	assert.False(t, root.Allows(Team))
	assert.True(t, root.Allows(Organization))

	teamA, err := r.TypeOf(ctx, "teama")
	require.NoError(t, err)
	assert.False(t, teamA.Builtin, "org's own team type shadows the built-in one below org")
	assert.Equal(t, logicalcluster.Name("org"), teamA.DefinedIn)
	assert.True(t, teamA.Allows("gpu"))
	assert.Equal(t, Universal, teamA.DefaultChild())

	gpu, err := r.Resolve(ctx, "sub", "gpu")
	require.NoError(t, err)
	assert.Equal(t, logicalcluster.Name("org"), gpu.DefinedIn, "types defined above are visible below")
	assert.False(t, gpu.Allows(Universal))

	sub, err := r.TypeOf(ctx, "sub")
	require.NoError(t, err)
	assert.Equal(t, Universal, sub.Name, "a workspace without a type is universal")
	assert.True(t, sub.Builtin)
	assert.Equal(t, logicalcluster.Name("teama"), sub.DefinedIn, "built-in types are used where the child is created")
	assert.True(t, sub.Allows(Organization))
	assert.False(t, sub.Allows(Root), "nobody gets a second root")

	_, err = r.Resolve(ctx, "teama", "b-only")
	var notFound *NotFoundError
	require.ErrorAs(t, err, &notFound, "a sibling's types are invisible")
	assert.Contains(t, err.Error(), `no WorkspaceType "b-only" is defined in root:org:team-a or any workspace above it`)
	_, err = r.Resolve(ctx, "teamb", "b-only")
	assert.NoError(t, err)

	_, err = r.TypeOf(ctx, "unknown")
	assert.Error(t, err)
}

func TestResolveAsksLookupForTypesTheIndexHasNotSeen(t *testing.T) {
	hierarchy := tree{"org": {parent: logicalcluster.Root, typeName: Organization, path: "root:org"}}
	var asked []logicalcluster.Name
	r := &Resolver{Types: clusterwatch.NewStore[*tenancyv1alpha1.WorkspaceType](), Workspaces: hierarchy,
		Lookup: func(_ context.Context, c logicalcluster.Name, name string) (*tenancyv1alpha1.WorkspaceType, error) {
			asked = append(asked, c)
			if c == logicalcluster.Root && name == "fresh" {
				return wsType("root", "fresh", tenancyv1alpha1.WorkspaceTypeSpec{NoChildren: true}), nil
			}
			return nil, apierrors.NewNotFound(tenancyv1alpha1.Resource("workspacetypes"), name)
		}}
	fresh, err := r.Resolve(context.Background(), "org", "fresh")
	require.NoError(t, err)
	assert.Equal(t, logicalcluster.Root, fresh.DefinedIn)
	assert.Equal(t, []logicalcluster.Name{"org", logicalcluster.Root}, asked, "nearest first")

	asked = nil
	_, err = r.Resolve(context.Background(), "org", Team)
	require.NoError(t, err)
	assert.Empty(t, asked, "built-in types need no lookup")
}
