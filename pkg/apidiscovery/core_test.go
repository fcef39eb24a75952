package apidiscovery

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
)

func TestMergeAggregated(t *testing.T) {
	builtin := []apidiscoveryv2.APIGroupDiscovery{{Versions: []apidiscoveryv2.APIVersionDiscovery{{Version: "v1",
		Resources: []apidiscoveryv2.APIResourceDiscovery{{Resource: "configmaps"}}}}}}
	bound := apidiscoveryv2.APIGroupDiscovery{Versions: []apidiscoveryv2.APIVersionDiscovery{{Version: "v1",
		Resources: []apidiscoveryv2.APIResourceDiscovery{{Resource: "services"}}}}}
	got := mergeAggregated(builtin, bound)
	require.Len(t, got, 1, "the core group stays one entry")
	require.Len(t, got[0].Versions, 1)
	var names []string
	for _, r := range got[0].Versions[0].Resources {
		names = append(names, r.Resource)
	}
	assert.Equal(t, []string{"configmaps", "services"}, names)
	assert.Len(t, mergeAggregated(nil, bound), 1, "added when the built-in answer lacks the group")
}
