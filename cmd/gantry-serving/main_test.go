package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantry-dev/gantry/pkg/servingoperator"
)

func TestFlags(t *testing.T) {
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: secret}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600))
	o := defaultOptions()
	cmd := newCommandFor(o)
	require.NoError(t, cmd.ParseFlags([]string{"--kubeconfig", kubeconfig, "--storage-initializer-image", "reg/init:2",
		"--cluster-name", "gpu-east", "--workers", "8", "--qps", "20"}))
	assert.Equal(t, servingoperator.Options{StorageInitializerImage: "reg/init:2", ClusterDomain: "cluster.local",
		Cluster: "gpu-east", MetricsBindAddress: ":8080", HealthProbeBindAddress: ":8081", Workers: 8}, o.operator)
	cfg, err := o.restConfig()
	require.NoError(t, err)
	assert.Equal(t, "https://127.0.0.1:6443", cfg.Host)
	assert.Equal(t, "secret", cfg.BearerToken)
	assert.Equal(t, float32(20), cfg.QPS)
	assert.Equal(t, 100, cfg.Burst)
}

func TestBadKubeconfig(t *testing.T) {
	cmd := newCommand()
	cmd.SetArgs([]string{"--kubeconfig", filepath.Join(t.TempDir(), "missing")})
	cmd.SetOut(os.Stderr)
	err := cmd.Execute()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing")
}
