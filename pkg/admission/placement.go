package admission

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/placement"
)

// Placements records who creates a Placement (placement.OwnerAnnotation, kept unchanged afterwards: the
// controller chooses only targets that user may use), and refuses a Placement whose creator may "use" no
// SyncTarget it selects, as an APIBinding is refused without "bind". A location workspace that does not exist gets
// the same refusal.
type Placements struct {
	// Workspaces resolves location paths.
	Workspaces Resolver
	// Targets is the index of every workspace's SyncTargets.
	Targets *clusterwatch.Store[*computev1alpha1.SyncTarget]
	// Authorizer decides "use"; it reads the workspace from the context.
	Authorizer authorizer.Authorizer
}

var (
	_ admission.MutationInterface   = &Placements{}
	_ admission.ValidationInterface = &Placements{}
)

// Handles implements admission.Interface: creations and updates.
func (p *Placements) Handles(op admission.Operation) bool {
	return op == admission.Create || op == admission.Update
}

// Admit implements admission.MutationInterface: it records the owner at creation and keeps it afterwards.
func (p *Placements) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	obj, ok := a.GetObject().(*computev1alpha1.Placement)
	cluster, inWorkspace := logicalcluster.From(ctx)
	if !ok || !inWorkspace || a.GetSubresource() != "" {
		return nil
	}
	owner := placement.EncodeOwner(a.GetUserInfo(), cluster)
	if old, ok := a.GetOldObject().(*computev1alpha1.Placement); ok && a.GetOperation() == admission.Update {
		owner = old.Annotations[placement.OwnerAnnotation]
	}
	if owner == "" {
		delete(obj.Annotations, placement.OwnerAnnotation)
		return nil
	}
	if obj.Annotations == nil {
		obj.Annotations = map[string]string{}
	}
	obj.Annotations[placement.OwnerAnnotation] = owner
	return nil
}

// Validate implements admission.ValidationInterface: at creation the user must be able to use a selected target.
func (p *Placements) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	obj, ok := a.GetObject().(*computev1alpha1.Placement)
	cluster, inWorkspace := logicalcluster.From(ctx)
	if !ok || !inWorkspace || a.GetSubresource() != "" || a.GetOperation() != admission.Create {
		return nil
	}
	denied := apierrors.NewForbidden(a.GetResource().GroupResource(), a.GetName(), fmt.Errorf(
		"user %q may use no SyncTarget of %s that the location selector matches: it needs the verb %q on synctargets there",
		a.GetUserInfo().GetName(), obj.Spec.LocationWorkspace, computev1alpha1.UseVerb))
	ref, err := logicalcluster.ParseReference(obj.Spec.LocationWorkspace)
	if err != nil || ref.Name == logicalcluster.Wildcard {
		return nil // validation refuses these with the field's error
	}
	location, found := p.Workspaces.Resolve(ref)
	if !found {
		return denied
	}
	selector := labels.Everything()
	if obj.Spec.LocationSelector != nil {
		if selector, err = metav1.LabelSelectorAsSelector(obj.Spec.LocationSelector); err != nil {
			return nil // validation refuses it
		}
	}
	for _, t := range p.Targets.List(location) {
		if !selector.Matches(labels.Set(t.Labels)) {
			continue
		}
		may, err := placement.MayUse(ctx, p.Authorizer, a.GetUserInfo(), cluster, location, t.Name)
		if err != nil {
			return apierrors.NewInternalError(err)
		}
		if may {
			return nil
		}
	}
	return denied
}
