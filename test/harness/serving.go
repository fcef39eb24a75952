package harness

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/servingprovider"
)

// WaitServingProvider waits until the serving provider (a server started WithServingProvider) has published
// everything: root:serving is Ready and its own binding of the export is Bound, which the provider makes after
// the schemas and the export. A syncer started earlier would read the SyncTarget's virtual workspace before the
// export serves anything, and only look again at its next resync.
func (s *Server) WaitServingProvider(t testing.TB) {
	t.Helper()
	s.WaitWorkspaceReady(t, servingprovider.ParentPath, servingprovider.WorkspaceName)
	_, dyn := s.Clients(t, servingprovider.Path)
	bindings := dyn.Resource(schema.GroupVersionResource{Group: "apis.gantry.dev", Version: "v1alpha1", Resource: "apibindings"})
	var phase string
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		b, err := bindings.Get(ctx, servingprovider.ExportName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		phase, _, _ = unstructured.NestedString(b.Object, "status", "phase")
		return phase == string(apisv1alpha1.APIBindingPhaseBound), nil
	})
	if err != nil {
		t.Fatalf("the serving provider's binding in %s is not Bound (phase %q): %v", servingprovider.Path, phase, err)
	}
}
