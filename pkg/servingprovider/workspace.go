package servingprovider

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/workspacetype"
)

// ensureWorkspace creates the provider workspace unless it exists, and waits until it is Ready.
func (c *Controller) ensureWorkspace(ctx context.Context) error {
	client, err := c.clients.Gantry(ParentPath)
	if err != nil {
		return err
	}
	workspaces := client.TenancyV1alpha1().Workspaces()
	ws, err := workspaces.Get(ctx, WorkspaceName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		ws, err = workspaces.Create(ctx, &tenancyv1alpha1.Workspace{
			ObjectMeta: metav1.ObjectMeta{Name: WorkspaceName},
			Spec:       tenancyv1alpha1.WorkspaceSpec{Type: workspacetype.Universal},
		}, metav1.CreateOptions{})
	}
	if err != nil {
		return fmt.Errorf("the provider workspace %s: %w", Path, err)
	}
	if ws.DeletionTimestamp != nil || ws.Status.Phase != tenancyv1alpha1.WorkspacePhaseReady {
		return errWaitForWorkspace
	}
	return nil
}
