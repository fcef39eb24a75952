package workspace

import (
	"context"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// remove tears down a deleted workspace: it marks it Terminating, deletes its child workspaces and waits for them,
// erases everything stored in its logical cluster, and finally drops the finalizer so the object goes away.
func (c *Controller) remove(ctx context.Context, key string, ws *tenancyv1alpha1.Workspace) error {
	if !slices.Contains(ws.Finalizers, registry.WorkspaceFinalizer) {
		return nil
	}
	if ws.Status.Phase != tenancyv1alpha1.WorkspacePhaseTerminating {
		terminating := ws.DeepCopy()
		terminating.Status.Phase = tenancyv1alpha1.WorkspacePhaseTerminating
		return ignoreNotFound(c.put(ctx, workspacePath(key, "status"), terminating))
	}
	cluster := logicalcluster.Name(ws.Spec.Cluster)
	if children := c.index.Children(cluster); len(children) > 0 {
		for _, childKey := range children {
			if child := c.index.Get(childKey); child != nil && child.DeletionTimestamp == nil {
				if err := c.client.Delete().AbsPath(workspacePath(childKey, "")).Do(ctx).Error(); ignoreNotFound(err) != nil {
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
	return ignoreNotFound(c.put(ctx, workspacePath(key, ""), done))
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}
