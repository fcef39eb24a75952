package serving

import (
	"context"
	"fmt"
	"io"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// statusPoll is how often `rollout status` reads the service.
const statusPoll = 250 * time.Millisecond

// DescribeHealth is one line of `rollout status`: "Progressing (Starting): message".
func DescribeHealth(h servingv1alpha1.Health) string {
	s := string(h.State)
	if s == "" {
		s = "no health reported yet"
	}
	if h.Reason != "" {
		s += " (" + h.Reason + ")"
	}
	if h.Message != "" {
		s += ": " + h.Message
	}
	return s
}

// settled reports whether the service's status describes its current spec: written for this generation, by an
// operator that reports observedGeneration.
func settled(isvc *servingv1alpha1.InferenceService) bool {
	return isvc.Status.ObservedGeneration == 0 || isvc.Status.ObservedGeneration >= isvc.Generation
}

// WaitHealthy follows a service until it is Healthy, printing each change of its health with the reason, and fails
// with the reason and message once it is Degraded, or after timeout.
func WaitHealthy(ctx context.Context, client versioned.Interface, namespace, name string, timeout time.Duration, out io.Writer) error {
	services := client.ServingV1alpha1().InferenceServices(namespace)
	var last servingv1alpha1.Health
	printed, timedOut := false, false
	var degraded error
	// The deadline is checked here rather than put on the context: reads keep the caller's context, so that the
	// client's rate limiter never fails a read for the deadline instead of the wait ending on it.
	deadline := time.Now().Add(timeout)
	err := wait.PollUntilContextCancel(ctx, statusPoll, true, func(context.Context) (bool, error) {
		isvc, err := services.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err // NotFound and Forbidden end the wait at once, as kubectl's does
		}
		h := isvc.Status.Health
		if !settled(isvc) {
			h = servingv1alpha1.Health{State: servingv1alpha1.HealthProgressing, Reason: "WaitingForOperator",
				Message: fmt.Sprintf("generation %d not observed yet", isvc.Generation)}
		}
		if !printed || h != last {
			fmt.Fprintf(out, "inferenceservice/%s: %s\n", name, DescribeHealth(h))
			last, printed = h, true
		}
		switch h.State {
		case servingv1alpha1.HealthHealthy:
			return true, nil
		case servingv1alpha1.HealthDegraded:
			degraded = fmt.Errorf("inferenceservice/%s is Degraded (%s): %s", name, h.Reason, h.Message)
			return true, nil
		}
		timedOut = !time.Now().Before(deadline)
		return timedOut, nil
	})
	switch {
	case degraded != nil:
		return degraded
	case timedOut:
		return fmt.Errorf("inferenceservice/%s did not become Healthy within %s: it is %s", name, timeout, DescribeHealth(last))
	default:
		return err
	}
}
