package serving

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// statusPoll is how often WaitHealthy reads the service.
const statusPoll = 250 * time.Millisecond

// DescribeHealth shows a health as "State", "State (Reason)" or "State (Reason): message"; a health with no state
// reads Unknown, so that a part the operator has not reported yet reads as such.
func DescribeHealth(h servingv1alpha1.Health) string {
	s := string(h.State)
	if s == "" {
		s = string(servingv1alpha1.HealthUnknown)
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

// WaitHealthy follows a service until it is Healthy, printing each change of its health with the reason; it is the
// loop of both `rollout status` and `launch`. It fails with the reason and message once the service is Degraded,
// when the service is deleted while it waits, or after timeout, pointing at `kubectl gantry health`. A refusal of
// the server (not found at the first read, 401, 403, an invalid request) ends the wait at once with the server's
// error; errors that may pass (timeouts, throttling, 5xx, a lost connection) are retried until the timeout.
func WaitHealthy(ctx context.Context, client versioned.Interface, namespace, name string, timeout time.Duration, out io.Writer) error {
	services := client.ServingV1alpha1().InferenceServices(namespace)
	var last servingv1alpha1.Health
	seen, timedOut := false, false
	var final error
	// The deadline is checked here rather than put on the context: reads keep the caller's context, so that the
	// client's rate limiter never fails a read for the deadline instead of the wait ending on it.
	deadline := time.Now().Add(timeout)
	err := wait.PollUntilContextCancel(ctx, statusPoll, true, func(context.Context) (bool, error) {
		isvc, err := services.Get(ctx, name, metav1.GetOptions{})
		switch {
		case err == nil:
		case apierrors.IsNotFound(err) && seen:
			final = fmt.Errorf("inferenceservice/%s was deleted while waiting for it to be Healthy", name)
			return true, nil
		case retryable(err):
			timedOut = !time.Now().Before(deadline)
			return timedOut, nil
		default:
			return false, err // retrying cannot help, as kubectl's wait does not
		}
		h := isvc.Status.Health
		if !settled(isvc) {
			h = servingv1alpha1.Health{State: servingv1alpha1.HealthProgressing, Reason: "WaitingForOperator",
				Message: fmt.Sprintf("generation %d not observed yet", isvc.Generation)}
		}
		if !seen || h != last {
			fmt.Fprintf(out, "inferenceservice/%s: %s\n", name, DescribeHealth(h))
			last, seen = h, true
		}
		switch h.State {
		case servingv1alpha1.HealthHealthy:
			return true, nil
		case servingv1alpha1.HealthDegraded:
			final = fmt.Errorf("inferenceservice/%s is Degraded (%s): %s", name, h.Reason, h.Message)
			return true, nil
		}
		timedOut = !time.Now().Before(deadline)
		return timedOut, nil
	})
	switch {
	case final != nil:
		return final
	case timedOut && !seen:
		return fmt.Errorf("inferenceservice/%s could not be read within %s", name, timeout)
	case timedOut:
		return fmt.Errorf("inferenceservice/%s did not become Healthy within %s: it is %s; `kubectl gantry health isvc/%s` shows why",
			name, timeout, DescribeHealth(last), name)
	default:
		return err
	}
}

// retryable reports whether a failed read may succeed if tried again: the server was busy or unreachable, rather
// than refusing the request.
func retryable(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return true // no answer from the server: a lost connection or a timeout on the way
	}
	return apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err)
}
