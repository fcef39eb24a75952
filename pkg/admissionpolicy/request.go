package admissionpolicy

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/admission"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// readyTimeout is how long a request waits for the indexes of a workspace's own admission (policies, webhooks)
// to have their first list before it is refused.
const readyTimeout = 10 * time.Second

// RequestWorkspace returns the workspace whose own admission a request goes through, once hasSynced says the
// indexes it is read from are loaded (waiting up to readyTimeout, then refusing the request). ok is false when
// none applies: a request of no workspace, or of the wildcard, which storage refuses on its own. what names the
// admission in the error, for example "admission policies".
func RequestWorkspace(ctx context.Context, a admission.Attributes, hasSynced func() bool, what string) (cluster logicalcluster.Name, ok bool, err error) {
	cluster, ok = logicalcluster.From(ctx)
	if !ok || cluster == logicalcluster.Wildcard {
		return "", false, nil
	}
	if !hasSynced() {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, readyTimeout, true, func(context.Context) (bool, error) {
			return hasSynced(), nil
		})
		if err != nil {
			return "", false, admission.NewForbidden(a, fmt.Errorf("not yet ready to handle request: the %s of the workspace are not loaded yet", what))
		}
	}
	return cluster, true, nil
}
