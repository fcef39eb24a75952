package admission

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// BindVerb is the verb a user needs on an APIExport, in the export's workspace, to bind it.
const BindVerb = "bind"

// Resolver finds the logical cluster of a workspace reference.
type Resolver interface {
	Resolve(ref logicalcluster.Reference) (logicalcluster.Name, bool)
}

// APIBindings requires the verb "bind" on an APIExport, in the export's workspace, to create an APIBinding of it
// and to write a WorkspaceType that binds it into new workspaces. A workspace that does not exist gets the same
// refusal as one where the user may not bind.
type APIBindings struct {
	// Workspaces resolves export paths.
	Workspaces Resolver
	// Authorizer decides the check; it reads the workspace from the context.
	Authorizer authorizer.Authorizer
}

var _ admission.ValidationInterface = &APIBindings{}

// Handles implements admission.Interface: creations and updates.
func (b *APIBindings) Handles(op admission.Operation) bool {
	return op == admission.Create || op == admission.Update
}

// Validate implements admission.ValidationInterface.
func (b *APIBindings) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetSubresource() != "" {
		return nil
	}
	cluster, ok := logicalcluster.From(ctx)
	if !ok || cluster == logicalcluster.Wildcard {
		return nil
	}
	switch obj := a.GetObject().(type) {
	case *apisv1alpha1.APIBinding:
		if a.GetOperation() != admission.Create || obj.Spec.Reference.Export == nil {
			return nil // the reference is immutable; validation has refused a missing one
		}
		ref := obj.Spec.Reference.Export
		return b.check(ctx, a, cluster, ref.Path, ref.Name)
	case *tenancyv1alpha1.WorkspaceType:
		for _, ref := range obj.Spec.DefaultAPIBindings {
			if err := b.check(ctx, a, cluster, ref.Path, ref.Export); err != nil {
				return err
			}
		}
	}
	return nil
}

// check refuses unless the user may bind export name of the workspace at path (empty: cluster).
func (b *APIBindings) check(ctx context.Context, a admission.Attributes, cluster logicalcluster.Name, path, name string) error {
	where := path
	exportCluster, found := cluster, true
	if path != "" {
		exportCluster, found = b.Workspaces.Resolve(logicalcluster.Reference{Path: logicalcluster.Path(path)})
	} else {
		where = "this workspace"
	}
	if found {
		allowed, err := b.mayBind(ctx, a.GetUserInfo(), exportCluster, name)
		if err != nil {
			return apierrors.NewInternalError(err)
		}
		if allowed {
			return nil
		}
	}
	return apierrors.NewForbidden(a.GetResource().GroupResource(), a.GetName(), fmt.Errorf(
		"user %q may not bind APIExport %q of %s: it needs the verb %q on apiexports %q there",
		a.GetUserInfo().GetName(), name, where, BindVerb, name))
}

func (b *APIBindings) mayBind(ctx context.Context, u user.Info, exportCluster logicalcluster.Name, name string) (bool, error) {
	decision, _, err := b.Authorizer.Authorize(logicalcluster.WithCluster(ctx, exportCluster), authorizer.AttributesRecord{
		User: u, Verb: BindVerb, ResourceRequest: true,
		APIGroup: apisv1alpha1.GroupName, APIVersion: apisv1alpha1.SchemeGroupVersion.Version,
		Resource: "apiexports", Name: name,
	})
	return decision == authorizer.DecisionAllow, err
}
