package workspacemetrics

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

func TestRequestsCountPerWorkspace(t *testing.T) {
	r := &Requests{}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})
	h := r.WithCounting(ok)
	send := func(cluster logicalcluster.Name) {
		req := httptest.NewRequest(http.MethodGet, "/api", nil)
		if cluster != "" {
			req = req.WithContext(logicalcluster.WithCluster(req.Context(), cluster))
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	send("a")
	send("a")
	send("b")
	send(logicalcluster.Wildcard)
	send("")
	assert.Equal(t, uint64(2), r.Of("a"))
	assert.Equal(t, uint64(1), r.Of("b"), "a's requests are not b's")
	assert.Zero(t, r.Of(logicalcluster.Wildcard), "the wildcard is no workspace")
	r.Forget("a")
	assert.Zero(t, r.Of("a"), "an erased workspace starts again from zero")
	assert.Equal(t, uint64(1), r.Of("b"))
}

func TestResourceOfPrefix(t *testing.T) {
	for prefix, want := range map[string]string{
		"core/configmaps":                        "configmaps",
		"rbac.authorization.k8s.io/rolebindings": "rolebindings.rbac.authorization.k8s.io",
		"/example.com/widgets/0f3a-identity":     "widgets.example.com",
		"tenancy.gantry.dev/workspaces":          "workspaces.tenancy.gantry.dev",
		"odd":                                    "odd",
	} {
		assert.Equal(t, want, resourceOfPrefix(prefix), prefix)
	}
}
