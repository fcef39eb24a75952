package workspacetype

import (
	"testing"

	"github.com/stretchr/testify/assert"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
)

// TestBuiltinFromConfig pins the built-in types read from config/workspacetypes to what they have always been.
func TestBuiltinFromConfig(t *testing.T) {
	assert.Equal(t, map[string]tenancyv1alpha1.WorkspaceTypeSpec{
		Root:         {DefaultChildType: Organization, AllowedChildTypes: []string{Organization, Universal}},
		Organization: {DefaultChildType: Team, AllowedChildTypes: []string{Team, MLTeam, Universal}},
		Team:         {DefaultChildType: Universal, AllowedChildTypes: []string{Universal}},
		Universal:    {DefaultChildType: Universal},
		MLTeam: {DefaultChildType: Universal, AllowedChildTypes: []string{Universal},
			DefaultAPIBindings: []tenancyv1alpha1.APIExportReference{{Path: "root:serving", Export: "serving"}}},
	}, Builtin)
	assert.Equal(t, []string{MLTeam, Organization, Root, Team, Universal}, BuiltinNames())
}
