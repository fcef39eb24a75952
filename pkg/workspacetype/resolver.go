package workspacetype

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Hierarchy is what resolving types needs to know of the workspace tree.
type Hierarchy interface {
	// Parent returns the parent of a workspace and the type its Workspace object names; ok is false for root.
	Parent(cluster logicalcluster.Name) (parent logicalcluster.Name, typeName string, ok bool)
	// Path returns the path of a workspace, for messages.
	Path(cluster logicalcluster.Name) (logicalcluster.Path, bool)
}

// Definition is a resolved WorkspaceType.
type Definition struct {
	// Name is the type's name.
	Name string
	// Spec is its definition.
	Spec tenancyv1alpha1.WorkspaceTypeSpec
	// DefinedIn is the workspace that stores the type; for a built-in type, the workspace it was resolved from.
	DefinedIn logicalcluster.Name
	// Builtin reports a built-in type.
	Builtin bool
}

// Allows reports whether a child workspace of type child may be created in a workspace of this type.
func (d Definition) Allows(child string) bool {
	if child == Root || d.Spec.NoChildren {
		return false
	}
	return len(d.Spec.AllowedChildTypes) == 0 || slices.Contains(d.Spec.AllowedChildTypes, child)
}

// DefaultChild returns the type of a child workspace that names none.
func (d Definition) DefaultChild() string {
	if d.Spec.DefaultChildType == "" {
		return Universal
	}
	return d.Spec.DefaultChildType
}

// Resolver finds WorkspaceTypes by name as seen from a workspace: the workspace's own, then its parent's and so on
// up to root, then the built-in ones. It reads an index of every workspace's types; Lookup, when set, reads one
// workspace's type directly, for a type created so recently that the index has not seen it.
type Resolver struct {
	// Types indexes the WorkspaceTypes stored in every workspace.
	Types *clusterwatch.Store[*tenancyv1alpha1.WorkspaceType]
	// Workspaces is the workspace tree.
	Workspaces Hierarchy
	// Lookup reads the WorkspaceType name stored in cluster; it returns a NotFound error when there is none.
	Lookup func(ctx context.Context, cluster logicalcluster.Name, name string) (*tenancyv1alpha1.WorkspaceType, error)
}

// NotFoundError says that a type is defined neither in a workspace, nor above it, nor built in.
type NotFoundError struct {
	// Name is the type asked for.
	Name string
	// From is the path of the workspace it was looked up from.
	From logicalcluster.Path
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no WorkspaceType %q is defined in %s or any workspace above it, and it is not a built-in type (%s)",
		e.Name, e.From, strings.Join(BuiltinNames(), ", "))
}

// Resolve returns the definition of the type name as seen from the workspace cluster.
func (r *Resolver) Resolve(ctx context.Context, cluster logicalcluster.Name, name string) (Definition, error) {
	chain := r.ancestors(cluster)
	for _, c := range chain {
		if t, ok := r.Types.Get(c, name); ok {
			return Definition{Name: name, Spec: t.Spec, DefinedIn: c}, nil
		}
	}
	if spec, ok := Builtin[name]; ok {
		return Definition{Name: name, Spec: spec, DefinedIn: cluster, Builtin: true}, nil
	}
	if r.Lookup != nil {
		for _, c := range chain {
			t, err := r.Lookup(ctx, c, name)
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return Definition{}, err
			}
			return Definition{Name: name, Spec: t.Spec, DefinedIn: c}, nil
		}
	}
	path, _ := r.Workspaces.Path(cluster)
	return Definition{}, &NotFoundError{Name: name, From: path}
}

// TypeOf returns the definition of the type of the workspace cluster, resolved from its parent, where it was
// created. The root workspace is of type root; a workspace whose object names no type (one created before types
// existed) is universal.
func (r *Resolver) TypeOf(ctx context.Context, cluster logicalcluster.Name) (Definition, error) {
	parent, name, ok := r.Workspaces.Parent(cluster)
	if !ok {
		if cluster == logicalcluster.Root {
			return Definition{Name: Root, Spec: Builtin[Root], DefinedIn: cluster, Builtin: true}, nil
		}
		return Definition{}, fmt.Errorf("workspace %s is not known", cluster)
	}
	if name == "" {
		name = Universal
	}
	return r.Resolve(ctx, parent, name)
}

// ancestors returns cluster and the workspaces above it, nearest first, ending with root.
func (r *Resolver) ancestors(cluster logicalcluster.Name) []logicalcluster.Name {
	chain := []logicalcluster.Name{cluster}
	for len(chain) <= logicalcluster.MaxPathSegments {
		parent, _, ok := r.Workspaces.Parent(chain[len(chain)-1])
		if !ok {
			break
		}
		chain = append(chain, parent)
	}
	return chain
}
