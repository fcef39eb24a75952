package apiimport

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestMergeReplacesTheSameResource(t *testing.T) {
	got := merge([]string{"kaaa.deployments.apps", "v1.widgets.example.com"}, []string{"kbbb.deployments.apps", "kccc.jobs.batch"})
	assert.Equal(t, []string{"v1.widgets.example.com", "kbbb.deployments.apps", "kccc.jobs.batch"}, got)
}

func TestFromDiscovery(t *testing.T) {
	resources := []metav1.APIResource{
		{Name: "deployments", SingularName: "deployment", Kind: "Deployment", Namespaced: true, ShortNames: []string{"deploy"}},
		{Name: "deployments/status", Kind: "Deployment"},
		{Name: "deployments/scale", Kind: "Scale"},
		{Name: "replicasets", Kind: "ReplicaSet", Namespaced: true},
	}
	r, err := fromDiscovery(resources, "apps/v1", schema.GroupResource{Group: "apps", Resource: "deployments"})
	require.NoError(t, err)
	assert.Equal(t, schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, r.GroupVersionKind)
	assert.True(t, r.Namespaced)
	assert.True(t, r.Status)
	assert.True(t, r.Scale)
	assert.Equal(t, []string{"deploy"}, r.ShortNames)
	r, err = fromDiscovery(resources, "apps/v1", schema.GroupResource{Group: "apps", Resource: "replicasets"})
	require.NoError(t, err)
	assert.Equal(t, "replicaset", r.Singular, "derived when discovery leaves it out")
	assert.False(t, r.Status)
	_, err = fromDiscovery(resources, "apps/v1", schema.GroupResource{Group: "apps", Resource: "daemonsets"})
	assert.ErrorContains(t, err, `no resource "daemonsets"`)
}

func TestFromDiscoveryCoreGroup(t *testing.T) {
	resources := []metav1.APIResource{
		{Name: "services", SingularName: "service", Kind: "Service", Namespaced: true, ShortNames: []string{"svc"}},
		{Name: "services/status", Kind: "Service"},
		{Name: "services/proxy", Kind: "ServiceProxyOptions"},
	}
	r, err := fromDiscovery(resources, "v1", schema.GroupResource{Resource: "services"})
	require.NoError(t, err)
	assert.Equal(t, schema.GroupVersionKind{Version: "v1", Kind: "Service"}, r.GroupVersionKind)
	assert.True(t, r.Status)
	assert.False(t, r.Scale)
	assert.Equal(t, []string{"svc"}, r.ShortNames)
}
