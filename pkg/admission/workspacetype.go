package admission

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/workspacetype"
)

// UseVerb is the verb a user needs on a WorkspaceType to create a workspace of that type.
const UseVerb = "use"

// WorkspaceTypes gives a new Workspace its parent's default child type when it names none, refuses a type the
// parent's type does not allow, and requires the verb "use" on the type: in the workspace that stores it, or, for a
// built-in type, in the workspace the child is created in.
type WorkspaceTypes struct {
	// Resolver finds types.
	Resolver *workspacetype.Resolver
	// Authorizer decides the "use" check; it reads the workspace from the context.
	Authorizer authorizer.Authorizer
}

var (
	_ admission.MutationInterface   = &WorkspaceTypes{}
	_ admission.ValidationInterface = &WorkspaceTypes{}
)

// Handles implements admission.Interface: only creations.
func (w *WorkspaceTypes) Handles(op admission.Operation) bool { return op == admission.Create }

// workspaceOf returns the Workspace being created, or nil when the request is not a Workspace creation.
func workspaceOf(a admission.Attributes) (*tenancyv1alpha1.Workspace, bool) {
	if a.GetResource().GroupResource() != tenancyv1alpha1.Resource("workspaces") || a.GetSubresource() != "" {
		return nil, false
	}
	ws, ok := a.GetObject().(*tenancyv1alpha1.Workspace)
	return ws, ok
}

// Admit implements admission.MutationInterface: it fills in the default type.
func (w *WorkspaceTypes) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	ws, ok := workspaceOf(a)
	if !ok || ws.Spec.Type != "" {
		return nil
	}
	cluster, ok := logicalcluster.From(ctx)
	if !ok || cluster == logicalcluster.Wildcard {
		return nil // storage refuses these on its own
	}
	parent, err := w.Resolver.TypeOf(ctx, cluster)
	if err != nil {
		return resolveError(ws, err)
	}
	ws.Spec.Type = parent.DefaultChild()
	return nil
}

// Validate implements admission.ValidationInterface.
func (w *WorkspaceTypes) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	ws, ok := workspaceOf(a)
	if !ok {
		return nil
	}
	cluster, ok := logicalcluster.From(ctx)
	if !ok || cluster == logicalcluster.Wildcard {
		return nil
	}
	parent, err := w.Resolver.TypeOf(ctx, cluster)
	if err != nil {
		return resolveError(ws, err)
	}
	path, _ := w.Resolver.Workspaces.Path(cluster)
	if !parent.Allows(ws.Spec.Type) {
		return invalidType(ws, fmt.Sprintf("a workspace of type %q is not allowed in %s (of type %q); %s",
			ws.Spec.Type, path, parent.Name, allowedChildren(parent)))
	}
	child, err := w.Resolver.Resolve(ctx, cluster, ws.Spec.Type)
	if err != nil {
		return resolveError(ws, err)
	}
	attrs := authorizer.AttributesRecord{
		User: a.GetUserInfo(), Verb: UseVerb, ResourceRequest: true,
		APIGroup: tenancyv1alpha1.GroupName, APIVersion: tenancyv1alpha1.SchemeGroupVersion.Version,
		Resource: "workspacetypes", Name: child.Name,
	}
	decision, _, err := w.Authorizer.Authorize(logicalcluster.WithCluster(ctx, child.DefinedIn), attrs)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if decision != authorizer.DecisionAllow {
		where, _ := w.Resolver.Workspaces.Path(child.DefinedIn)
		return apierrors.NewForbidden(a.GetResource().GroupResource(), a.GetName(), fmt.Errorf(
			"user %q may not use the workspace type %q: it needs the verb %q on workspacetypes %q in %s",
			a.GetUserInfo().GetName(), child.Name, UseVerb, child.Name, where))
	}
	return nil
}

// resolveError turns an unknown type into a 422 on spec.type, and anything else into a 500.
func resolveError(ws *tenancyv1alpha1.Workspace, err error) error {
	var notFound *workspacetype.NotFoundError
	if errors.As(err, &notFound) {
		return invalidType(ws, err.Error())
	}
	return apierrors.NewInternalError(err)
}

// invalidType is a 422 on spec.type.
func invalidType(ws *tenancyv1alpha1.Workspace, msg string) error {
	return apierrors.NewInvalid(tenancyv1alpha1.Kind("Workspace"), ws.Name,
		field.ErrorList{field.Invalid(field.NewPath("spec", "type"), ws.Spec.Type, msg)})
}

// allowedChildren describes the children a type allows, for messages.
func allowedChildren(t workspacetype.Definition) string {
	switch {
	case t.Spec.NoChildren:
		return "it allows no child workspaces"
	case len(t.Spec.AllowedChildTypes) == 0:
		return "it allows every type but root"
	default:
		return "allowed child types: " + strings.Join(t.Spec.AllowedChildTypes, ", ")
	}
}
