package syncer

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/rest"
)

func TestRenewInAtEightyPercentOfTheLife(t *testing.T) {
	issued := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	expires := issued.Add(48 * time.Hour)

	assert.Equal(t, time.Duration(float64(48*time.Hour)*0.8), renewIn(issued, expires, issued, 0), "at 80% of its life")
	assert.Equal(t, 38*time.Hour+24*time.Minute-time.Hour, renewIn(issued, expires, issued.Add(time.Hour), 0), "counted from issue, not from now")
	assert.Zero(t, renewIn(issued, expires, issued.Add(40*time.Hour), 0), "overdue: at once")
	assert.Zero(t, renewIn(issued, expires, expires.Add(time.Hour), 0), "never negative")

	assert.Equal(t, 3*time.Second, renewIn(issued, expires, issued, 3*time.Second), "--token-renew-after replaces the fraction")
	assert.Equal(t, 2*time.Second, renewIn(issued, expires, issued.Add(time.Second), 3*time.Second))
	short := issued.Add(10 * time.Minute)
	assert.Equal(t, 10*time.Minute, renewIn(issued, short, issued, time.Hour), "never after the token expires")
}

func TestClientsPickUpTheRenewedToken(t *testing.T) {
	seen := make(chan string, 2)
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Get("Authorization")
		w.WriteHeader(http.StatusOK)
	}))
	defer server.Close()
	r := &TokenRenewal{token: "first"}
	cfg := &rest.Config{Host: server.URL, BearerToken: "first"}
	r.Use(cfg)
	assert.Empty(t, cfg.BearerToken, "the token comes from the renewal only")
	client, err := rest.HTTPClientFor(cfg)
	require.NoError(t, err)

	get := func() string {
		resp, err := client.Get(server.URL)
		require.NoError(t, err)
		resp.Body.Close()
		return <-seen
	}
	assert.Equal(t, "Bearer first", get())
	r.mu.Lock()
	r.token = "second"
	r.mu.Unlock()
	assert.Equal(t, "Bearer second", get(), "the same client, without rebuilding, sends the renewed token")
}
