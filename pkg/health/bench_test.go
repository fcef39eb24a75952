package health

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// BenchmarkEvaluate measures the health recomputation of one service: a Deployment and three pods of two
// containers each, one of them crash-looping. Run it with `go test -run '^$' -bench Evaluate ./pkg/health`.
func BenchmarkEvaluate(b *testing.B) {
	d := deployment(3, 3, 2)
	pods := []corev1.Pod{
		pod("infer-c", true, running("server", true), running("metrics", true)),
		pod("infer-a", true, running("server", true), running("metrics", true)),
		pod("infer-b", false, lastTerminated(waiting("server", ReasonCrashLoopBackOff, "back-off 10s"), "Error", 1, 2),
			running("metrics", true)),
	}
	opts := optsAt(time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		_, r := Evaluate(d, pods, opts)
		if r.State != Degraded {
			b.Fatalf("got %s, want Degraded", r.State)
		}
	}
}
