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

// reconcilePlacement chooses a Placement's target and writes the decision to its status; a new choice relabels
// the workspace's namespaces.
func (c *Controller) reconcilePlacement(ctx context.Context, cluster logicalcluster.Name, name string) error {
	p, ok := c.placements.Get(cluster, name)
	if !ok || p.DeletionTimestamp != nil {
		return nil
	}
	candidates, err := c.candidates(ctx, p)
	if err != nil {
		return err
	}
	current := ""
	if p.Status.SelectedTarget != nil && p.Status.SelectedTarget.Path == p.Spec.LocationWorkspace {
		current = p.Status.SelectedTarget.Name
	}
	d := choose(current, candidates, c.config.Now())
	want := p.DeepCopy()
	ready := metav1.Condition{Type: ConditionReady, Status: metav1.ConditionFalse, Reason: d.reason, Message: d.message,
		ObservedGeneration: p.Generation, LastTransitionTime: metav1.NewTime(c.config.Now())}
	if d.chosen != nil {
		want.Status.Phase = computev1alpha1.PlacementBound
		want.Status.SelectedTarget = &computev1alpha1.TargetReference{Path: p.Spec.LocationWorkspace, Name: d.chosen.Name}
		ready.Status = metav1.ConditionTrue
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
	if err == nil && !equality.Semantic.DeepEqual(p.Status.SelectedTarget, want.Status.SelectedTarget) {
		c.enqueueNamespaces(cluster)
	}
	return err
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
