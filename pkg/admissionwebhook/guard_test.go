package admissionwebhook

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGuardedDial(t *testing.T) {
	var dialed []string
	dial := guardedDial(func(_ context.Context, _, addr string) (net.Conn, error) {
		dialed = append(dialed, addr)
		return nil, errors.New("recorded")
	})
	for _, addr := range []string{"169.254.169.254:443", "[fe80::1]:443", "0.0.0.0:443", "[::]:443", "[::ffff:169.254.169.254]:443",
		"metadata.google.internal:443", "100.100.100.200:443"} {
		_, err := dial(context.Background(), "tcp", addr)
		require.Error(t, err, addr)
		assert.Contains(t, err.Error(), "which webhooks may not call", addr)
	}
	assert.Empty(t, dialed, "nothing blocked was dialed")

	_, err := dial(context.Background(), "tcp", "localhost:8443")
	assert.EqualError(t, err, "recorded")
	require.NotEmpty(t, dialed)
	host, port, err := net.SplitHostPort(dialed[0])
	require.NoError(t, err)
	assert.True(t, net.ParseIP(host).IsLoopback(), "the address checked is the one dialed: %s", dialed[0])
	assert.Equal(t, "8443", port)
}
