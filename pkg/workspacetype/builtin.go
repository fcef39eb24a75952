// Package workspacetype resolves WorkspaceTypes: the built-in ones (YAML in config/workspacetypes), the same in
// every workspace, and those stored in a workspace, which apply there and in every workspace below it.
package workspacetype

import (
	"fmt"
	"slices"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/config/workspacetypes"
)

// The built-in WorkspaceTypes.
const (
	// Root is the type of the root workspace and of no other: it cannot be given to a child.
	Root = "root"
	// Organization is the default type of the root workspace's children; it holds teams.
	Organization = "organization"
	// Team is the default type of an organization's children.
	Team = "team"
	// Universal allows every child type and is the default when a type names no default.
	Universal = "universal"
	// MLTeam is a team that serves models: its workspaces bind the serving API of root:serving at creation.
	MLTeam = "ml-team"
)

// Builtin are the built-in WorkspaceTypes, read from the YAML in config/workspacetypes when the program starts. A
// WorkspaceType of the same name stored in a workspace takes precedence there and below it.
var Builtin = mustLoadBuiltin()

// mustLoadBuiltin decodes the embedded built-in types. They are compiled in, so an error is a bug of the build
// (caught by the tests), not something a running server could recover from.
func mustLoadBuiltin() map[string]tenancyv1alpha1.WorkspaceTypeSpec {
	specs, err := workspacetypes.Load()
	if err != nil {
		panic(err)
	}
	for _, name := range []string{Root, Organization, Team, Universal, MLTeam} {
		if _, ok := specs[name]; !ok {
			panic(fmt.Sprintf("config/workspacetypes has no built-in WorkspaceType %q", name))
		}
	}
	return specs
}

// BuiltinNames returns the names of the built-in types, sorted.
func BuiltinNames() []string {
	names := make([]string, 0, len(Builtin))
	for name := range Builtin {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
