package server

import (
	"context"
	"net/http"

	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// endLongRunningAtShutdown ends every long-running request (watches, and anything else longRunning names) once
// shutdown is done. The generic server drains only short requests; its HTTP server's graceful shutdown then waits
// for the open connections, and a watch keeps its connection busy until its own timeout (30 to 60 minutes), so
// the shutdown would sit out its whole timeout (the request timeout, 60 s). Ending the watches lets the
// connections close at once; clients see their watch end and re-establish it on another replica.
//
// It must sit inside the handler chain's request-info filter, which longRunning reads.
func endLongRunningAtShutdown(handler http.Handler, longRunning genericapirequest.LongRunningRequestCheck, shutdown context.Context) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		info, ok := genericapirequest.RequestInfoFrom(req.Context())
		if !ok || longRunning == nil || !longRunning(req, info) {
			handler.ServeHTTP(w, req)
			return
		}
		ctx, cancel := context.WithCancel(req.Context())
		defer cancel()
		stop := context.AfterFunc(shutdown, cancel)
		defer stop()
		handler.ServeHTTP(w, req.WithContext(ctx))
	})
}
