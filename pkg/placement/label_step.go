package placement

import (
	"context"
	"encoding/json"
	"maps"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// reconcileNamespace gives a namespace the state labels of the Placement that selects it, and when they change
// (or a sweep is asked for) brings its objects' state labels in line.
func (c *Controller) reconcileNamespace(ctx context.Context, it item) error {
	ns, ok := c.config.Namespaces.Get(it.cluster, it.name)
	if !ok || ns.DeletionTimestamp != nil {
		return nil
	}
	want := c.namespaceLabels(it.cluster, ns)
	have := StateLabels(ns.Labels)
	changed := !maps.Equal(want, have)
	if changed {
		if err := c.patchNamespace(ctx, it.cluster, ns.Name, want, have); err != nil {
			return err
		}
	}
	if !changed && it.sweep == 0 {
		return nil
	}
	if err := c.sweep(ctx, it.cluster, ns.Name, want); err != nil {
		return err
	}
	next := it.sweep + 1 // a change starts the resweeps afresh
	if changed {
		next = 1
	}
	if next <= len(resweepDelays) {
		c.queue.AddAfter(item{namespace: true, sweep: next, cluster: it.cluster, name: it.name}, resweepDelays[next-1])
	}
	return nil
}

// namespaceLabels are the state labels a namespace should carry: Sync for each target chosen by the Placement
// that owns it (placementOf), while it is Bound, and for each target it drains, whose copies keep running until
// their replacements are Ready.
func (c *Controller) namespaceLabels(cluster logicalcluster.Name, ns *corev1.Namespace) map[string]string {
	out := map[string]string{}
	p := c.placementOf(cluster, ns)
	if p == nil {
		return out
	}
	location := c.locationOf(p)
	if location == "" {
		return out
	}
	targets := drainingTargets(p)
	if p.Status.Phase == computev1alpha1.PlacementBound {
		targets = append(targets, currentTargets(p)...)
	}
	for _, name := range targets {
		out[computev1alpha1.StateLabel(string(location), name)] = computev1alpha1.ResourceStateSync
	}
	return out
}

// ownedNamespaces are the namespaces of a workspace that the Placement p owns (placementOf), compared by name: the
// index may hold a newer copy of p than the caller.
func (c *Controller) ownedNamespaces(cluster logicalcluster.Name, p *computev1alpha1.Placement) []*corev1.Namespace {
	var out []*corev1.Namespace
	for _, ns := range c.config.Namespaces.List(cluster) {
		if owner := c.placementOf(cluster, ns); owner != nil && owner.Name == p.Name {
			out = append(out, ns)
		}
	}
	return out
}

// placementOf is the Placement that owns a namespace: the oldest of the workspace that selects it (one Placement
// per namespace; a later one that also selects it waits). Nil when none does.
func (c *Controller) placementOf(cluster logicalcluster.Name, ns *corev1.Namespace) *computev1alpha1.Placement {
	placements := c.placements.List(cluster)
	sort.Slice(placements, func(i, j int) bool {
		ti, tj := placements[i].CreationTimestamp, placements[j].CreationTimestamp
		if !ti.Equal(&tj) {
			return ti.Before(&tj)
		}
		return placements[i].Name < placements[j].Name
	})
	for _, p := range placements {
		if p.DeletionTimestamp == nil && selectsNamespace(p, ns) {
			return p
		}
	}
	return nil
}

// selectsNamespace reports whether a Placement's namespace selector (unset: all) matches ns.
func selectsNamespace(p *computev1alpha1.Placement, ns *corev1.Namespace) bool {
	if p.Spec.NamespaceSelector == nil {
		return true
	}
	s, err := metav1.LabelSelectorAsSelector(p.Spec.NamespaceSelector)
	return err == nil && s.Matches(labels.Set(ns.Labels))
}

// patchNamespace sets a namespace's state labels to want, removing the others it has.
func (c *Controller) patchNamespace(ctx context.Context, cluster logicalcluster.Name, name string, want, have map[string]string) error {
	patch := map[string]interface{}{}
	for k := range have {
		if _, keep := want[k]; !keep {
			patch[k] = nil
		}
	}
	for k, v := range want {
		patch[k] = v
	}
	body, err := json.Marshal(map[string]interface{}{"metadata": map[string]interface{}{"labels": patch}})
	if err != nil {
		return err
	}
	client, err := c.config.Clients.Kubernetes(string(cluster))
	if err != nil {
		return err
	}
	_, err = client.CoreV1().Namespaces().Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// StateLabels returns the state labels among labels.
func StateLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		if strings.HasPrefix(k, computev1alpha1.StateLabelPrefix) {
			out[k] = v
		}
	}
	return out
}

// hasStateLabels reports whether a namespace in the index carries any state label.
func hasStateLabels(namespaces *clusterwatch.Store[*corev1.Namespace], cluster logicalcluster.Name, name string) bool {
	ns, ok := namespaces.Get(cluster, name)
	return ok && len(StateLabels(ns.Labels)) > 0
}
