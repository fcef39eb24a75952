package virtualworkspace

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// paths resolves workspace paths to clusters.
type paths map[logicalcluster.Path]logicalcluster.Name

func (p paths) Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool) {
	c, ok := p[ref.Path]
	return c, ok
}

// syncTargets holds SyncTargets by logicalcluster.Key.
type syncTargets map[string]*computev1alpha1.SyncTarget

func (s syncTargets) Get(cluster logicalcluster.Name, name string) (*computev1alpha1.SyncTarget, bool) {
	t, ok := s[logicalcluster.Key(cluster, name)]
	return t, ok
}

// syncers may sync the SyncTarget "gpu" of cluster "compute".
type syncers map[string]bool

func (s syncers) Authorize(ctx context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	cluster, _ := logicalcluster.From(ctx)
	if cluster == "compute" && a.GetVerb() == SyncVerb && a.GetResource() == "synctargets" && a.GetName() == "gpu" && s[a.GetUser().GetName()] {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionDeny, "", nil
}

// syncerFixture is the Syncer definition over: export "widgets" of "provider" (example.com's widgets, bound
// in "team"), and SyncTargets "gpu" (supporting it and a missing export) and "cpu" (supporting nothing) of "compute".
func syncerFixture() *Definition {
	crds := widgetsExport()
	exported := crds.Export("provider", "widgets")[0]
	exported.Name, exported.UID = "widgets.example.com", "identity"
	exported.Annotations = map[string]string{crdset.BoundAnnotation: logicalcluster.Key("provider", "widgets")}
	crds.SetBound("team", []*apiextensionsv1.CustomResourceDefinition{exported})
	targets := syncTargets{
		logicalcluster.Key("compute", "gpu"): {Spec: computev1alpha1.SyncTargetSpec{SupportedAPIExports: []computev1alpha1.ExportReference{
			{Path: "root:provider", Export: "widgets"}, {Path: "root:nowhere", Export: "widgets"}, {Path: "root:provider", Export: "gadgets"},
		}}},
		logicalcluster.Key("compute", "cpu"): {},
	}
	return Syncer(crds, targets, paths{"root:provider": "provider", "root:compute": "compute"})
}

func TestSyncerResources(t *testing.T) {
	d := syncerFixture()
	gpu := Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: "gpu"}
	served := d.Resources(gpu)
	require.Len(t, served, 1, "the supported export's resources; a missing workspace or export adds none")
	assert.Equal(t, "widgets", served[0].Status.AcceptedNames.Plural)
	assert.Empty(t, d.Resources(Target{Definition: d, Cluster: "compute", Name: "cpu"}), "no supported export")
	assert.Empty(t, d.Resources(Target{Definition: d, Cluster: "compute", Name: "missing"}), "no SyncTarget")

	assert.True(t, d.Serves(gpu, "team", served[0]), "team binds the export")
	assert.False(t, d.Serves(gpu, "other", served[0]), "other binds nothing")
}

func TestSyncerSelector(t *testing.T) {
	d := syncerFixture()
	gpu := Target{Definition: d, Cluster: "compute", Name: "gpu"}
	label := TargetLabel("compute", "gpu")
	assert.Empty(t, validation.IsQualifiedName(label), "a valid label key")
	assert.Equal(t, label, TargetLabel("compute", "gpu"), "stable")
	assert.NotEqual(t, label, TargetLabel("compute", "cpu"))
	assert.NotEqual(t, label, TargetLabel("compute2", "gpu"))

	selector := d.Selector(gpu)
	assert.True(t, selector.Matches(labels.Set{label: "Sync"}))
	assert.True(t, selector.Matches(labels.Set{label: ""}))
	assert.False(t, selector.Matches(labels.Set{TargetLabel("compute", "cpu"): "Sync"}), "placed on another target")
	assert.False(t, selector.Matches(labels.Set{}), "placed nowhere")
}

func TestSyncerAuthorizer(t *testing.T) {
	d := syncerFixture()
	registry := NewRegistry(nil, nil, d)
	authz := registry.Authorizer(authorizer.AuthorizerFunc(func(context.Context, authorizer.Attributes) (authorizer.Decision, string, error) {
		return authorizer.DecisionAllow, "", nil
	}), authorizer.AuthorizerFunc(syncers{"syncer": true}.Authorize))
	syncer, other := &user.DefaultInfo{Name: "syncer"}, &user.DefaultInfo{Name: "other"}
	list := func(u user.Info, sub string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{User: u, Verb: "list", APIGroup: "example.com", Resource: "widgets", Subresource: sub, ResourceRequest: true}
	}
	at := func(target Target) context.Context {
		return WithTarget(logicalcluster.WithCluster(context.Background(), logicalcluster.Wildcard), target)
	}
	gpu := at(Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: "gpu"})

	decision, _, err := authz.Authorize(gpu, list(syncer, ""))
	require.NoError(t, err)
	assert.Equal(t, authorizer.DecisionAllow, decision)
	decision, _, _ = authz.Authorize(gpu, authorizer.AttributesRecord{User: syncer, Verb: "delete", APIGroup: "example.com", Resource: "widgets", ResourceRequest: true})
	assert.Equal(t, authorizer.DecisionDeny, decision, "a syncer never deletes")

	want := `access to the virtual workspace is denied: it needs the verb "sync" on the synctargets object`
	for name, c := range map[string]struct {
		ctx  context.Context
		user user.Info
	}{
		"no sync verb":      {gpu, other},
		"another target":    {at(Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: "cpu"}), syncer},
		"missing target":    {at(Target{Definition: d, Path: "root:compute", Cluster: "compute", Name: "missing"}), syncer},
		"missing workspace": {at(Target{Definition: d, Path: "root:nowhere", Name: "gpu"}), syncer},
	} {
		decision, reason, err := authz.Authorize(c.ctx, list(c.user, ""))
		assert.NoError(t, err, name)
		assert.Equal(t, authorizer.DecisionDeny, decision, name)
		assert.Equal(t, want, reason, name)
	}
}

// The placement protocol's constants in the API package must agree with the server's own.
func TestPlacementProtocolAgreesWithServer(t *testing.T) {
	assert.Equal(t, logicalcluster.AnnotationKey, computev1alpha1.ClusterAnnotation)
	assert.Equal(t, computev1alpha1.StateLabelPrefix+computev1alpha1.TargetKey("compute", "gpu"), TargetLabel("compute", "gpu"))
	assert.Len(t, computev1alpha1.TargetKey("compute", "gpu"), 20)
}
