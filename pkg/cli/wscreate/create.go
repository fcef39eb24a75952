// Package wscreate owns workspace creation, the `kubectl create workspace` plugin: it creates a Workspace in the
// current workspace, waits until it is Ready, and can enter it (with package wsnav).
package wscreate

import (
	"context"
	"fmt"
	"io"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// Options say which workspace to create and how.
type Options struct {
	// Name is the new workspace's name in its parent.
	Name string
	// Type is its WorkspaceType; empty means the parent's default child type.
	Type string
	// IgnoreExisting accepts a workspace of that name that exists already.
	IgnoreExisting bool
	// Timeout bounds the wait for the workspace to be Ready.
	Timeout time.Duration
}

// Create creates the workspace o describes with client, a client of workspace parent, waits until it is Ready and
// returns it. It tells its progress on out.
func Create(ctx context.Context, client versioned.Interface, parent logicalcluster.Path, o Options, out io.Writer) (*tenancyv1alpha1.Workspace, error) {
	if err := logicalcluster.ValidateWorkspaceName(o.Name); err != nil {
		return nil, err
	}
	workspaces := client.TenancyV1alpha1().Workspaces()
	ws := &tenancyv1alpha1.Workspace{ObjectMeta: metav1.ObjectMeta{Name: o.Name}, Spec: tenancyv1alpha1.WorkspaceSpec{Type: o.Type}}
	switch _, err := workspaces.Create(ctx, ws, metav1.CreateOptions{}); {
	case err == nil:
		fmt.Fprintf(out, "Workspace %q created in %q. Waiting for it to be ready...\n", o.Name, parent)
	case apierrors.IsAlreadyExists(err) && o.IgnoreExisting:
		fmt.Fprintf(out, "Workspace %q already exists in %q.\n", o.Name, parent)
	case apierrors.IsAlreadyExists(err):
		return nil, fmt.Errorf("workspace %q already exists in %q: use --ignore-existing to accept it", o.Name, parent)
	default:
		return nil, fmt.Errorf("creating workspace %q in %q: %w", o.Name, parent, err)
	}
	var ready *tenancyv1alpha1.Workspace
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, o.Timeout, true, func(ctx context.Context) (bool, error) {
		got, err := workspaces.Get(ctx, o.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		ready = got
		return got.Status.Phase == tenancyv1alpha1.WorkspacePhaseReady, nil
	})
	if err != nil {
		return nil, fmt.Errorf("workspace %q in %q did not become Ready within %s", o.Name, parent, o.Timeout)
	}
	fmt.Fprintf(out, "Workspace %q is ready to use.\n", parent.Join(o.Name))
	return ready, nil
}
