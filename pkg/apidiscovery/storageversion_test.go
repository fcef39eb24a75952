package apidiscovery

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiserver/pkg/endpoints/discovery"
)

// TestStorageVersionHash: every served version of a CRD's resource reports the hash of its storage version, as
// kube-apiserver's discovery does, and the hash changes with the storage version.
func TestStorageVersionHash(t *testing.T) {
	crd := func(storage string) *apiextensionsv1.CustomResourceDefinition {
		c := &apiextensionsv1.CustomResourceDefinition{
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{Group: "example.com", Scope: apiextensionsv1.NamespaceScoped,
				Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Kind: "Widget"}},
			Status: apiextensionsv1.CustomResourceDefinitionStatus{
				AcceptedNames: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Kind: "Widget"},
				Conditions: []apiextensionsv1.CustomResourceDefinitionCondition{
					{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue},
					{Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionTrue}}},
		}
		for _, v := range []string{"v1", "v1beta1"} {
			c.Spec.Versions = append(c.Spec.Versions, apiextensionsv1.CustomResourceDefinitionVersion{Name: v, Served: true, Storage: v == storage})
		}
		return c
	}
	hashes := func(storage string) map[string]string {
		groups := New(Config{}).groupsFrom([]*apiextensionsv1.CustomResourceDefinition{crd(storage)})
		require.Len(t, groups, 1)
		out := map[string]string{}
		for _, v := range groups[0].versions {
			for _, r := range groups[0].resources(v) {
				if r.Name == "widgets" {
					out[v] = r.StorageVersionHash
				}
			}
		}
		return out
	}
	want := discovery.StorageVersionHash("example.com", "v1beta1", "Widget")
	assert.NotEmpty(t, want)
	assert.Equal(t, map[string]string{"v1": want, "v1beta1": want}, hashes("v1beta1"))
	moved := hashes("v1")
	assert.Equal(t, discovery.StorageVersionHash("example.com", "v1", "Widget"), moved["v1"])
	assert.NotEqual(t, want, moved["v1"], "a new storage version is a new hash")
	assert.Empty(t, storageVersionHash(&apiextensionsv1.CustomResourceDefinition{}), "no storage version, no hash")
}
