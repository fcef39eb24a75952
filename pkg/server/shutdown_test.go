package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

func TestEndLongRunningAtShutdown(t *testing.T) {
	shutdown, stop := context.WithCancel(context.Background())
	ended := make(chan string, 2)
	// The handler waits for its request to end, as a watch does.
	handler := http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) {
		select {
		case <-req.Context().Done():
			ended <- req.URL.Path
		case <-time.After(time.Second):
			ended <- "not ended: " + req.URL.Path
		}
	})
	isWatch := func(_ *http.Request, info *genericapirequest.RequestInfo) bool { return info.Verb == "watch" }
	h := endLongRunningAtShutdown(handler, isWatch, shutdown)
	serve := func(path, verb string) {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req = req.WithContext(genericapirequest.WithRequestInfo(req.Context(), &genericapirequest.RequestInfo{Verb: verb}))
		h.ServeHTTP(httptest.NewRecorder(), req)
	}

	go serve("/watch", "watch")
	go serve("/get", "get")
	stop()
	got := []string{<-ended, <-ended}
	assert.ElementsMatch(t, []string{"/watch", "not ended: /get"}, got, "only the long-running request ends at shutdown")
}
