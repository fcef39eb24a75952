package admission

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// BindVerb is the verb a user needs on an APIExport, in the export's workspace, to bind it.
const BindVerb = "bind"

// Resolver finds the logical cluster of a workspace reference.
type Resolver interface {
	Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool)
}

// APIBindings requires, for creating an APIBinding, the verb "bind" on the APIExport it names, in the export's
// workspace. A workspace that does not exist gets the same refusal as one where the user may not bind.
type APIBindings struct {
	// Workspaces resolves the binding's export path.
	Workspaces Resolver
	// Authorizer decides the check; it reads the workspace from the context.
	Authorizer authorizer.Authorizer
}

var _ admission.ValidationInterface = &APIBindings{}

// Handles implements admission.Interface: only creations.
func (b *APIBindings) Handles(op admission.Operation) bool { return op == admission.Create }

// Validate implements admission.ValidationInterface.
func (b *APIBindings) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != apisv1alpha1.Resource("apibindings") || a.GetSubresource() != "" {
		return nil
	}
	binding, ok := a.GetObject().(*apisv1alpha1.APIBinding)
	if !ok || binding.Spec.Reference.Export == nil {
		return nil // validation has refused it already
	}
	cluster, ok := logicalcluster.From(ctx)
	if !ok || cluster == logicalcluster.Wildcard {
		return nil
	}
	ref := binding.Spec.Reference.Export
	where := ref.Path
	exportCluster, found := cluster, true
	if ref.Path != "" {
		exportCluster, found = b.Workspaces.Resolve(logicalcluster.Reference{Path: logicalcluster.Path(ref.Path)})
	} else {
		where = "this workspace"
	}
	if found {
		decision, _, err := b.Authorizer.Authorize(logicalcluster.WithCluster(ctx, exportCluster), authorizer.AttributesRecord{
			User: a.GetUserInfo(), Verb: BindVerb, ResourceRequest: true,
			APIGroup: apisv1alpha1.GroupName, APIVersion: apisv1alpha1.SchemeGroupVersion.Version,
			Resource: "apiexports", Name: ref.Name,
		})
		if err != nil {
			return apierrors.NewInternalError(err)
		}
		if decision == authorizer.DecisionAllow {
			return nil
		}
	}
	return apierrors.NewForbidden(a.GetResource().GroupResource(), a.GetName(), fmt.Errorf(
		"user %q may not bind APIExport %q of %s: it needs the verb %q on apiexports %q there",
		a.GetUserInfo().GetName(), ref.Name, where, BindVerb, ref.Name))
}
