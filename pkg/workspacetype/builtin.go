// Package workspacetype resolves WorkspaceTypes: the built-in ones, defined once here for every workspace, and
// those stored in a workspace, which apply there and in every workspace below it.
package workspacetype

import (
	"slices"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
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
)

// Builtin are the built-in WorkspaceTypes. A WorkspaceType of the same name stored in a workspace takes precedence
// there and below it.
var Builtin = map[string]tenancyv1alpha1.WorkspaceTypeSpec{
	Root:         {DefaultChildType: Organization, AllowedChildTypes: []string{Organization, Universal}},
	Organization: {DefaultChildType: Team, AllowedChildTypes: []string{Team, Universal}},
	Team:         {DefaultChildType: Universal, AllowedChildTypes: []string{Universal}},
	Universal:    {DefaultChildType: Universal},
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
