package placement

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// serviceAccountPrefix starts the user name of every ServiceAccount.
const serviceAccountPrefix = "system:serviceaccount:"

// ConditionReady is the Placement condition that says whether a target is chosen, and why not.
const ConditionReady = "Ready"

// reconcilePlacement chooses a Placement's targets, settles its drains, and writes the decision to its status,
// with an Event for every move; a new choice relabels the workspace's namespaces.
func (c *Controller) reconcilePlacement(ctx context.Context, cluster logicalcluster.Name, name string) error {
	p, ok := c.placements.Get(cluster, name)
	if !ok || p.DeletionTimestamp != nil {
		return nil
	}
	candidates, err := c.candidates(ctx, p)
	if err != nil {
		return err
	}
	now := c.config.Now()
	var demandErr error
	demand := func() int64 { // read only when a target is to be added: it lists the placed objects
		n, err := c.placedGPUs(ctx, cluster, p)
		demandErr = err
		return n
	}
	d := choose(request{current: currentTargets(p), draining: drainingTargets(p), clusters: p.ClusterCount(),
		spreadBy: p.Spec.SpreadBy, gpuDemand: demand}, candidates, now)
	if demandErr != nil {
		return demandErr
	}
	if d.recheckAfter > 0 {
		c.queue.AddAfter(item{cluster: cluster, name: name}, d.recheckAfter)
	}
	drained, err := c.settleDrains(ctx, cluster, p, &d)
	if err != nil {
		return err
	}
	if len(d.draining) > 0 {
		c.queue.AddAfter(item{cluster: cluster, name: name}, drainPoll)
	}
	want := p.DeepCopy()
	ready := metav1.Condition{Type: ConditionReady, Status: metav1.ConditionFalse, Reason: d.reason, Message: d.message,
		ObservedGeneration: p.Generation, LastTransitionTime: metav1.NewTime(now)}
	want.Status.SelectedTargets = nil
	for _, t := range d.chosen {
		want.Status.SelectedTargets = append(want.Status.SelectedTargets, computev1alpha1.TargetReference{Path: p.Spec.LocationWorkspace, Name: t.Name})
	}
	want.Status.DrainingTargets = nil
	for _, t := range d.draining {
		want.Status.DrainingTargets = append(want.Status.DrainingTargets, computev1alpha1.TargetReference{Path: p.Spec.LocationWorkspace, Name: t.target.Name})
	}
	if drained != nil {
		drained.ObservedGeneration, drained.LastTransitionTime = p.Generation, metav1.NewTime(now)
		meta.SetStatusCondition(&want.Status.Conditions, *drained)
	}
	if len(d.chosen) > 0 {
		want.Status.Phase = computev1alpha1.PlacementBound
		first := want.Status.SelectedTargets[0]
		want.Status.SelectedTarget = &first
		if d.reason == ReasonBound {
			ready.Status = metav1.ConditionTrue
		}
	} else {
		want.Status.Phase = computev1alpha1.PlacementUnschedulable
		want.Status.SelectedTarget = nil
	}
	meta.SetStatusCondition(&want.Status.Conditions, ready)
	if equality.Semantic.DeepEqual(p.Status, want.Status) {
		return nil
	}
	client, err := c.config.Clients.Gantry(string(cluster))
	if err != nil {
		return err
	}
	_, err = client.ComputeV1alpha1().Placements().UpdateStatus(ctx, want, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or changed again: that change brings it back
	}
	if err != nil {
		return err
	}
	c.recordMoves(cluster, p, d)
	if !equality.Semantic.DeepEqual(p.Status.SelectedTargets, want.Status.SelectedTargets) ||
		!equality.Semantic.DeepEqual(p.Status.SelectedTarget, want.Status.SelectedTarget) ||
		!equality.Semantic.DeepEqual(p.Status.DrainingTargets, want.Status.DrainingTargets) {
		c.enqueueNamespaces(cluster)
	}
	return nil
}

// drainingTargets are the names of the targets a Placement's status says are draining, of its current location.
func drainingTargets(p *computev1alpha1.Placement) []string {
	var out []string
	for _, ref := range p.Status.DrainingTargets {
		if ref.Path == p.Spec.LocationWorkspace {
			out = append(out, ref.Name)
		}
	}
	return out
}

// currentTargets are the names of the targets a Placement's status says are chosen, in choice order: those of its
// current location workspace (a changed location starts afresh). A status written before selectedTargets existed
// names one, in selectedTarget.
func currentTargets(p *computev1alpha1.Placement) []string {
	refs := p.Status.SelectedTargets
	if len(refs) == 0 && p.Status.SelectedTarget != nil {
		refs = []computev1alpha1.TargetReference{*p.Status.SelectedTarget}
	}
	var out []string
	for _, ref := range refs {
		if ref.Path == p.Spec.LocationWorkspace {
			out = append(out, ref.Name)
		}
	}
	return out
}

// candidates are the targets of the Placement's location that its selector matches, each with whether the
// Placement's owner may use it. A location that does not exist has none.
func (c *Controller) candidates(ctx context.Context, p *computev1alpha1.Placement) ([]candidate, error) {
	location := c.locationOf(p)
	if location == "" {
		return nil, nil
	}
	selector := labels.Everything()
	if p.Spec.LocationSelector != nil {
		s, err := metav1.LabelSelectorAsSelector(p.Spec.LocationSelector)
		if err != nil {
			return nil, nil // validation refuses these; nothing matches
		}
		selector = s
	}
	u, from, hasOwner := ownerOf(p)
	var out []candidate
	for _, t := range c.config.Targets.List(location) {
		if !selector.Matches(labels.Set(t.Labels)) {
			continue
		}
		may := false
		if hasOwner {
			var err error
			if may, err = MayUse(ctx, c.config.Authorizer, u, from, location, t.Name); err != nil {
				return nil, fmt.Errorf("checking %q may use %s: %w", u.GetName(), t.Name, err)
			}
		}
		out = append(out, candidate{target: t, mayUse: may})
	}
	return out, nil
}

// MayUse reports whether u, acting in the workspace from, holds the verb "use" on the SyncTarget name of the
// workspace location. A ServiceAccount is someone only in its own workspace: one of another workspace never may,
// whatever the location's bindings of a ServiceAccount of the same name say.
func MayUse(ctx context.Context, authz authorizer.Authorizer, u user.Info, from, location logicalcluster.Name, name string) (bool, error) {
	if strings.HasPrefix(u.GetName(), serviceAccountPrefix) && from != location {
		return false, nil
	}
	decision, _, err := authz.Authorize(logicalcluster.WithCluster(ctx, location), authorizer.AttributesRecord{
		User: u, Verb: computev1alpha1.UseVerb, ResourceRequest: true,
		APIGroup: computev1alpha1.GroupName, APIVersion: computev1alpha1.SchemeGroupVersion.Version,
		Resource: "synctargets", Name: name,
	})
	return decision == authorizer.DecisionAllow, err
}
