package freeport

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPickIsFreeBelowTheEphemeralRangeAndNeverRepeats(t *testing.T) {
	seen := map[int]bool{}
	for range 50 {
		port, err := Pick()
		require.NoError(t, err)
		assert.False(t, seen[port], "port %d handed out twice", port)
		seen[port] = true
		assert.Less(t, port, ephemeralLow(), "outside the ephemeral range, where client sockets never land")
		assert.GreaterOrEqual(t, port, lowest)
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		require.NoError(t, err, "the port is free to bind")
		l.Close()
	}
}

func TestPickSkipsAPortInUse(t *testing.T) {
	port, err := Pick()
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	require.NoError(t, err)
	defer l.Close()
	assert.False(t, free(port))
}
