package garbagecollector

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apiserver/pkg/storage/etcd3/testserver"
)

// TestScanStreamMatchesPages checks, against a real etcd, that the initial read by range stream sees every key
// under the prefix exactly once, none outside it, and the revision it read at, as the paged read (the fallback for
// an etcd without streams) does over more than one page.
func TestScanStreamMatchesPages(t *testing.T) {
	etcd := testserver.RunEtcd(t, nil)
	ctx := context.Background()
	const n = 5500 // more than one page of scanPages
	for i := 0; i < n; i++ {
		_, err := etcd.Client.Put(ctx, fmt.Sprintf("/registry/core/configmaps/c%d/default/cm", i), "x")
		require.NoError(t, err)
	}
	_, err := etcd.Client.Put(ctx, "/registryx/outside", "x")
	require.NoError(t, err)
	last, err := etcd.Client.Put(ctx, "/registry/core/namespaces/c0/default", "x")
	require.NoError(t, err)
	c := New(Config{Etcd: etcd.Client, Prefix: "/registry/"})

	seen := func() (map[string]int, func(key, value []byte)) {
		keys := map[string]int{}
		return keys, func(key, _ []byte) { keys[string(key)]++ }
	}
	streamedKeys, observe := seen()
	rev, streamed, err := c.scanStream(ctx, observe)
	require.NoError(t, err)
	require.True(t, streamed, "etcd 3.7 has range streams")
	pagedKeys, observe := seen()
	pagedRev, err := c.scanPages(ctx, observe)
	require.NoError(t, err)

	assert.Equal(t, last.Header.Revision, rev, "the stream's revision is the store's when it started")
	assert.Equal(t, rev, pagedRev)
	assert.Len(t, streamedKeys, n+1)
	assert.Equal(t, pagedKeys, streamedKeys)
	for key, times := range streamedKeys {
		require.Equal(t, 1, times, key)
	}
	assert.NotContains(t, streamedKeys, "/registryx/outside")
}
