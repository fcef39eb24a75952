package workspace

import (
	"context"
	"slices"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// remove tears down a deleted workspace: it deletes its child workspaces and waits for them, erases everything
// stored in its logical cluster, and finally drops the finalizer so the object goes away. The DELETE itself marked
// the workspace Terminating (pkg/registry); remove only does so for a workspace whose DELETE was answered by an
// older server, which left the phase as it was.
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
	if deleted, err := c.eraser.EraseAndDelete(ctx, cluster, c.holderOf(key, ws)); err != nil || deleted {
		return err
	}
	done := ws.DeepCopy()
	done.Finalizers = slices.DeleteFunc(done.Finalizers, func(f string) bool { return f == registry.WorkspaceFinalizer })
	_, err = workspaces.Update(ctx, done, metav1.UpdateOptions{})
	return ignoreNotFound(err)
}

// holderOf returns the stored Workspace at key, as read, for the eraser to delete with the content it held when
// dropping the finalizer would delete it: nothing but the content finalizer is left and no grace period runs (the
// rule of genericregistry.Store's update). Deleting it in the erasure's transaction saves a request through the
// server and two storage reads and a write per workspace; the Workspace's watchers see the same DELETED event.
// For any other workspace the revision is left 0 (erase only); then, as when the workspace was written since it was
// read, the finalizer is dropped by an update through the server, whose storage decides.
func (c *Controller) holderOf(key string, ws *tenancyv1alpha1.Workspace) clusterstore.StoredObject {
	parent, name := logicalcluster.SplitKey(key)
	holder := clusterstore.StoredObject{ResourcePrefix: workspacesPrefix, Cluster: parent, Name: name}
	grace := ws.DeletionGracePeriodSeconds
	if len(ws.Finalizers) == 1 && ws.Finalizers[0] == registry.WorkspaceFinalizer && ws.DeletionTimestamp != nil && grace != nil && *grace == 0 {
		holder.Revision, _ = strconv.ParseInt(ws.ResourceVersion, 10, 64)
	}
	return holder
}

// workspacesPrefix is where Workspaces are stored.
var workspacesPrefix = clusterstore.ResourcePrefix(tenancyv1alpha1.SchemeGroupVersion.WithResource("workspaces").GroupResource())

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
