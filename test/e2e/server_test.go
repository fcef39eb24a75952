package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apiserver/pkg/storage/etcd3/testserver"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/test/harness"
)

func TestExternalEtcd(t *testing.T) {
	etcd := testserver.RunEtcd(t, nil)
	s := harness.Start(t, "--etcd-servers", strings.Join(etcd.Endpoints(), ","))
	path, cluster := s.CreateWorkspace(t, "root", "ext")
	s.Kubectl(path).MustRun(t, "create", "configmap", "stored-outside", "--from-literal=k=v")

	resp, err := etcd.KV.Get(context.Background(), fmt.Sprintf("/registry/core/configmaps/%s/default/stored-outside", cluster))
	require.NoError(t, err)
	assert.Len(t, resp.Kvs, 1, "the object must be stored in the external etcd under its workspace's key")
	resp, err = etcd.KV.Get(context.Background(), "/registry/core/namespaces/root/default")
	require.NoError(t, err)
	assert.Len(t, resp.Kvs, 1)
}

func TestHealthAndMetrics(t *testing.T) {
	s := harness.Start(t)
	cfg, err := s.RESTConfig("root")
	require.NoError(t, err)
	client, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)
	get := func(path string) (int, string) {
		resp, err := client.Get(fmt.Sprintf("https://127.0.0.1:%d%s", s.Port, path))
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for _, p := range []string{"/livez", "/readyz", "/clusters/root/livez"} {
		code, body := get(p)
		assert.Equal(t, http.StatusOK, code, p)
		assert.Equal(t, "ok", body, p)
	}
	code, body := get("/readyz?verbose")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "[+]workspace-index ok")
	code, body = get("/metrics")
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "apiserver_request_total")
	version := s.Kubectl("root").MustRun(t, "version", "-o", "json")
	assert.Contains(t, version, `"serverVersion"`)
}
