package workspacemetrics

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/virtualworkspace"
)

// Path is the path, inside a workspace, of its own figures: /clusters/<path>/metrics.
const Path = "/metrics"

// Handler serves a workspace's figures at Path in the Prometheus text format.
type Handler struct {
	// Requests counts the requests of every workspace.
	Requests *Requests
	// Objects counts what a workspace stores.
	Objects *Objects
	// Serializer writes error Statuses.
	Serializer runtime.NegotiatedSerializer
}

// Wrap answers GET Path in a workspace with that workspace's figures and passes every other request to handler. It
// goes inside authentication and authorization (the request was allowed get on /metrics in the workspace) and
// inside routing.WithUnknownWorkspace (an unknown workspace got its 403 or 404 already); the server's own /metrics,
// outside any workspace, is left to handler.
func (h *Handler) Wrap(handler http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		cluster, ok := logicalcluster.From(req.Context())
		_, virtual := virtualworkspace.TargetFrom(req.Context())
		if !ok || virtual || req.URL.Path != Path {
			handler.ServeHTTP(w, req)
			return
		}
		if cluster == logicalcluster.Wildcard {
			h.fail(w, req, apierrors.NewBadRequest("metrics are served per workspace: use /clusters/<workspace path>/metrics"))
			return
		}
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			h.fail(w, req, apierrors.NewMethodNotSupported(schema.GroupResource{Resource: "metrics"}, req.Method))
			return
		}
		ctx, cancel := context.WithTimeout(req.Context(), 30*time.Second)
		defer cancel()
		objects, err := h.Objects.Count(ctx, cluster)
		if err != nil {
			h.fail(w, req, apierrors.NewInternalError(err))
			return
		}
		registry := prometheus.NewPedanticRegistry()
		registry.MustRegister(&figures{requests: h.Requests.Of(cluster), objects: objects})
		promhttp.HandlerFor(registry, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}).ServeHTTP(w, req)
	})
}

func (h *Handler) fail(w http.ResponseWriter, req *http.Request, err error) {
	responsewriters.ErrorNegotiated(err, h.Serializer, schema.GroupVersion{}, w, req)
}

var (
	requestsDesc = prometheus.NewDesc("gantry_workspace_requests_total",
		"Requests addressed to this workspace since the server started, refused ones included.", nil, nil)
	objectsDesc = prometheus.NewDesc("gantry_workspace_objects",
		"Objects this workspace stores, by resource (resources with none are left out).", []string{"resource"}, nil)
)

// figures is one workspace's figures at the time of one scrape.
type figures struct {
	requests uint64
	objects  map[string]int64
}

// Describe implements prometheus.Collector.
func (f *figures) Describe(ch chan<- *prometheus.Desc) {
	ch <- requestsDesc
	ch <- objectsDesc
}

// Collect implements prometheus.Collector.
func (f *figures) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(f.requests))
	for resource, n := range f.objects {
		ch <- prometheus.MustNewConstMetric(objectsDesc, prometheus.GaugeValue, float64(n), resource)
	}
}
