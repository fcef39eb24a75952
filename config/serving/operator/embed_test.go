package operator

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// TestObjects checks that Objects decodes every file kustomization.yaml lists, and nothing else.
func TestObjects(t *testing.T) {
	data, err := Files.ReadFile("kustomization.yaml")
	require.NoError(t, err)
	var k struct {
		Namespace string   `json:"namespace"`
		Resources []string `json:"resources"`
	}
	require.NoError(t, yaml.Unmarshal(data, &k))
	assert.Equal(t, resources, k.Resources, "Objects must read what kustomize reads")

	objects, err := Objects()
	require.NoError(t, err)
	var kinds []string
	for _, o := range objects {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
		if o.GetKind() != "Namespace" && o.GetKind() != "ClusterRole" && o.GetKind() != "ClusterRoleBinding" {
			assert.Equal(t, k.Namespace, o.GetNamespace(), "%s/%s", o.GetKind(), o.GetName())
		}
	}
	assert.Equal(t, []string{"Namespace/gantry-serving", "ServiceAccount/gantry-serving", "ClusterRole/gantry-serving",
		"ClusterRoleBinding/gantry-serving", "Deployment/gantry-serving"}, kinds)
}
