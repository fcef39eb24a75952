package servingoperator

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// appliesTotal counts the server-side applies the operator sent, by kind. A service whose objects are as wanted
// sends none however often it is reconciled, which this counter shows on /metrics.
var appliesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "gantry_serving_applies_total",
	Help: "Server-side applies sent by the serving operator, by kind of object.",
}, []string{"kind"})

// statusWritesTotal counts the InferenceService status patches the operator sent.
var statusWritesTotal = prometheus.NewCounter(prometheus.CounterOpts{
	Name: "gantry_serving_status_writes_total",
	Help: "InferenceService status patches sent by the serving operator.",
})

func init() {
	ctrlmetrics.Registry.MustRegister(appliesTotal, statusWritesTotal)
}
