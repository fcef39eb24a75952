package garbagecollector

import (
	"context"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	"github.com/gantry-dev/gantry/pkg/workloop"
)

// errDependentsRemain asks for an owner to be looked at again: dependents that block its deletion still exist.
var errDependentsRemain = workloop.Again(time.Second)

// process looks at one owner: finishing its deletion when it waits for the collector, collecting its dependents
// when it is gone.
func (c *Collector) process(ctx context.Context, k uidKey) error {
	if owner, ok := c.graph.waitingOwner(k); ok {
		return c.finishDeletion(ctx, owner)
	}
	if gone, ok := c.graph.goneOwner(k); ok {
		namespace := ""
		if gone.known {
			namespace = gone.namespace
		}
		return c.collectDependents(ctx, k, namespace)
	}
	return nil
}

// collectDependents handles the dependents of a deleted owner: one with other owners loses the reference, one
// without is deleted (background propagation).
func (c *Collector) collectDependents(ctx context.Context, owner uidKey, ownerNamespace string) error {
	for _, d := range c.graph.dependentsOf(owner, ownerNamespace) {
		others := slices.ContainsFunc(d.Owners, func(ref metav1.OwnerReference) bool { return ref.UID != owner.UID })
		var err error
		if others {
			err = c.removeOwnerReference(ctx, d, owner.UID)
		} else {
			err = c.delete(ctx, d, metav1.DeletePropagationBackground)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// finishDeletion completes an owner deleted with propagation Orphan (its dependents lose the reference) or
// Foreground (its dependents are deleted first; the owner goes once none that blocks it is left).
func (c *Collector) finishDeletion(ctx context.Context, owner *object) error {
	client, err := c.resourceClient(owner.objectRef)
	if err != nil {
		return err
	}
	current, err := client.Get(ctx, owner.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || err == nil && current.GetUID() != owner.UID {
		return nil
	}
	if err != nil {
		return err
	}
	k := keyOf(owner)
	finalizers := current.GetFinalizers()
	switch {
	case slices.Contains(finalizers, metav1.FinalizerOrphanDependents):
		for _, d := range c.graph.dependentsOf(k, owner.Namespace) {
			if err := c.removeOwnerReference(ctx, d, owner.UID); err != nil {
				return err
			}
		}
		return c.removeFinalizer(ctx, owner.objectRef, metav1.FinalizerOrphanDependents)
	case slices.Contains(finalizers, metav1.FinalizerDeleteDependents):
		blocking := 0
		for _, d := range c.graph.dependentsOf(k, owner.Namespace) {
			if d.DeletionTimestamp == nil {
				if err := c.delete(ctx, d, metav1.DeletePropagationForeground); err != nil {
					return err
				}
			}
			if i := slices.IndexFunc(d.Owners, func(ref metav1.OwnerReference) bool { return ref.UID == owner.UID }); i >= 0 &&
				d.Owners[i].BlockOwnerDeletion != nil && *d.Owners[i].BlockOwnerDeletion {
				blocking++
			}
		}
		if blocking > 0 {
			return errDependentsRemain
		}
		return c.removeFinalizer(ctx, owner.objectRef, metav1.FinalizerDeleteDependents)
	}
	return nil
}

// delete deletes a dependent if it is still the object the collector saw.
func (c *Collector) delete(ctx context.Context, d *object, propagation metav1.DeletionPropagation) error {
	client, err := c.resourceClient(d.objectRef)
	if err != nil {
		return err
	}
	uid := d.UID
	err = client.Delete(ctx, d.Name, metav1.DeleteOptions{PropagationPolicy: &propagation, Preconditions: &metav1.Preconditions{UID: &uid}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or replaced by a same-named object that is not this dependent
	}
	return err
}

// removeOwnerReference drops the references to owner from a dependent.
func (c *Collector) removeOwnerReference(ctx context.Context, d *object, owner types.UID) error {
	return c.update(ctx, d.objectRef, func(obj *unstructured.Unstructured) bool {
		refs := obj.GetOwnerReferences()
		kept := slices.DeleteFunc(slices.Clone(refs), func(ref metav1.OwnerReference) bool { return ref.UID == owner })
		if len(kept) == len(refs) {
			return false
		}
		obj.SetOwnerReferences(kept)
		return true
	})
}

// removeFinalizer drops a finalizer from an object, which completes its deletion when it was the last.
func (c *Collector) removeFinalizer(ctx context.Context, ref objectRef, finalizer string) error {
	return c.update(ctx, ref, func(obj *unstructured.Unstructured) bool {
		finalizers := obj.GetFinalizers()
		kept := slices.DeleteFunc(slices.Clone(finalizers), func(f string) bool { return f == finalizer })
		if len(kept) == len(finalizers) {
			return false
		}
		obj.SetFinalizers(kept)
		return true
	})
}

// update reads an object, changes it and writes it back, retrying on conflicts. An object that is gone, or that is
// another object by now (same name, other UID), is left alone.
func (c *Collector) update(ctx context.Context, ref objectRef, change func(*unstructured.Unstructured) bool) error {
	client, err := c.resourceClient(ref)
	if err != nil {
		return err
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj, err := client.Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if obj.GetUID() != ref.UID || !change(obj) {
			return nil
		}
		_, err = client.Update(ctx, obj, metav1.UpdateOptions{})
		return err
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// resourceClient returns a dynamic client for the object's resource in its workspace and namespace.
func (c *Collector) resourceClient(ref objectRef) (dynamic.ResourceInterface, error) {
	client, err := c.clientFor(ref.Cluster)
	if err != nil {
		return nil, err
	}
	if ref.Namespace == "" {
		return client.Resource(ref.Resource), nil
	}
	return client.Resource(ref.Resource).Namespace(ref.Namespace), nil
}
