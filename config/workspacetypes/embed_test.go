package workspacetypes

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	specs, err := Load()
	require.NoError(t, err)
	assert.Len(t, specs, 5)
	for _, name := range []string{"root", "organization", "team", "ml-team", "universal"} {
		assert.Contains(t, specs, name)
	}
	assert.Equal(t, []string{"organization", "universal"}, specs["root"].AllowedChildTypes)
}

func TestDecodeChecksKindAndName(t *testing.T) {
	const team = "apiVersion: tenancy.gantry.dev/v1alpha1\nkind: WorkspaceType\nmetadata: {name: team}\n"
	tt, err := decode("team.yaml", []byte(team))
	require.NoError(t, err)
	assert.Equal(t, "team", tt.Name)

	_, err = decode("other.yaml", []byte(team))
	assert.ErrorContains(t, err, `metadata.name is "team", want "other"`)
	_, err = decode("team.yaml", []byte(strings.Replace(team, "kind: WorkspaceType", "kind: Workspace", 1)))
	assert.ErrorContains(t, err, `got kind "Workspace"`)
	_, err = decode("team.yaml", []byte(team+"spec: {defaultChildTyp: team}\n"))
	assert.ErrorContains(t, err, "unknown field", "a misspelt field is an error, not a silent default")
}

func TestMLTeamBindsTheServingAPI(t *testing.T) {
	specs, err := Load()
	require.NoError(t, err)
	require.Len(t, specs["ml-team"].DefaultAPIBindings, 1)
	assert.Equal(t, "root:serving", specs["ml-team"].DefaultAPIBindings[0].Path)
	assert.Equal(t, "serving", specs["ml-team"].DefaultAPIBindings[0].Export)
	assert.Contains(t, specs["organization"].AllowedChildTypes, "ml-team", "an organization may hold ML teams")
}
