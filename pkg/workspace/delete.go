package workspace

import (
	"context"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// remove tears down a deleted workspace: it marks it Terminating, deletes its child workspaces and waits for them,
// erases everything stored in its logical cluster, and finally drops the finalizer so the object goes away.
//
// A workspace without children is torn down in one pass, each step starting from the object the previous write
// returned rather than waiting for the index to see it: waiting added a watch delivery and a trip through the queue
// to every deletion, which bounded how many workspaces a few workers could delete per second.
func (c *Controller) remove(ctx context.Context, key string, ws *tenancyv1alpha1.Workspace) error {
	if !slices.Contains(ws.Finalizers, registry.WorkspaceFinalizer) {
		return nil
	}
	workspaces, _, err := c.workspacesOf(key)
	if err != nil {
		return err
	}
	if ws.Status.Phase != tenancyv1alpha1.WorkspacePhaseTerminating {
		terminating := ws.DeepCopy()
		terminating.Status.Phase = tenancyv1alpha1.WorkspacePhaseTerminating
		updated, err := workspaces.UpdateStatus(ctx, terminating, metav1.UpdateOptions{})
		if err != nil {
			return ignoreNotFound(err)
		}
		if !slices.Contains(updated.Finalizers, registry.WorkspaceFinalizer) || updated.Spec.Cluster != ws.Spec.Cluster {
			return nil
		}
		ws = updated
	}
	cluster := logicalcluster.Name(ws.Spec.Cluster)
	if children := c.index.Children(cluster); len(children) > 0 {
		for _, childKey := range children {
			if child := c.index.Get(childKey); child != nil && child.DeletionTimestamp == nil {
				if err := c.deleteWorkspace(ctx, childKey); ignoreNotFound(err) != nil {
					return err
				}
			}
		}
		return errWaitForIndex
	}
	if err := c.eraser.Erase(ctx, cluster); err != nil {
		return err
	}
	done := ws.DeepCopy()
	done.Finalizers = slices.DeleteFunc(done.Finalizers, func(f string) bool { return f == registry.WorkspaceFinalizer })
	_, err = workspaces.Update(ctx, done, metav1.UpdateOptions{})
	return ignoreNotFound(err)
}

// deleteWorkspace deletes the workspace at key.
func (c *Controller) deleteWorkspace(ctx context.Context, key string) error {
	workspaces, name, err := c.workspacesOf(key)
	if err != nil {
		return err
	}
	return workspaces.Delete(ctx, name, metav1.DeleteOptions{})
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
