package registry

import (
	"context"
	"slices"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/workspacetype"
)

// OwnerAnnotation records who created a Workspace; the workspace controller binds that user to cluster-admin in
// the new workspace. The server sets it from the request's user; clients cannot choose it.
const OwnerAnnotation = "tenancy.gantry.dev/owner"

// WorkspaceFinalizer keeps a deleted Workspace until everything stored in its logical cluster is gone.
const WorkspaceFinalizer = "tenancy.gantry.dev/content"

// Workspaces is the resourceSet of tenancy.gantry.dev workspaces and workspaces/status.
func Workspaces(optsGetter generic.RESTOptionsGetter) (map[schema.GroupVersionResource]rest.Storage, error) {
	return statusResource(optsGetter, resource{
		gvr: tenancyv1alpha1.SchemeGroupVersion.WithResource("workspaces"), kind: "Workspace", singular: "workspace",
		shortNames: []string{"ws"},
		newFunc:    func() runtime.Object { return &tenancyv1alpha1.Workspace{} },
		newList:    func() runtime.Object { return &tenancyv1alpha1.WorkspaceList{} },
		rules: kindRules{
			validate:         validateWorkspace,
			prepareForCreate: prepareWorkspaceForCreate,
			prepareForUpdate: func(obj, old runtime.Object) {
				ws, oldWS := obj.(*tenancyv1alpha1.Workspace), old.(*tenancyv1alpha1.Workspace)
				ws.Status = oldWS.Status
				setOwner(ws, oldWS.Annotations[OwnerAnnotation])
			},
			// A deleted workspace is Terminating from its DELETE on, in the same write: the workspace
			// controller's teardown starts without a status update of its own.
			markDeleting: func(obj runtime.Object) {
				obj.(*tenancyv1alpha1.Workspace).Status.Phase = tenancyv1alpha1.WorkspacePhaseTerminating
			},
		},
	}, kindRules{
		validate: validateWorkspace,
		prepareForUpdate: func(obj, old runtime.Object) {
			ws, oldWS := obj.(*tenancyv1alpha1.Workspace), old.(*tenancyv1alpha1.Workspace)
			ws.Spec = oldWS.Spec
			ws.ObjectMeta.Labels, ws.ObjectMeta.Finalizers = oldWS.Labels, oldWS.Finalizers
			setOwner(ws, oldWS.Annotations[OwnerAnnotation])
		},
	})
}

func prepareWorkspaceForCreate(ctx context.Context, obj runtime.Object) {
	ws := obj.(*tenancyv1alpha1.Workspace)
	owner := ""
	if u, ok := genericapirequest.UserFrom(ctx); ok {
		owner = u.GetName()
	}
	setOwner(ws, owner)
	ws.Spec.Cluster = string(logicalcluster.NewName())
	ws.Status = tenancyv1alpha1.WorkspaceStatus{Phase: tenancyv1alpha1.WorkspacePhaseScheduling}
	if !slices.Contains(ws.Finalizers, WorkspaceFinalizer) {
		ws.Finalizers = append(ws.Finalizers, WorkspaceFinalizer)
	}
}

// setOwner sets (or, for an empty owner, removes) the owner annotation, whatever the client sent.
func setOwner(ws *tenancyv1alpha1.Workspace, owner string) {
	if owner == "" {
		delete(ws.Annotations, OwnerAnnotation)
		return
	}
	if ws.Annotations == nil {
		ws.Annotations = map[string]string{}
	}
	ws.Annotations[OwnerAnnotation] = owner
}

func validateWorkspace(obj, old runtime.Object) field.ErrorList {
	ws := obj.(*tenancyv1alpha1.Workspace)
	var errs field.ErrorList
	if err := logicalcluster.ValidateWorkspaceName(ws.Name); err != nil {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), ws.Name, err.Error()))
	}
	errs = append(errs, validateTypeName(field.NewPath("spec", "type"), ws.Spec.Type)...)
	if err := logicalcluster.ValidateName(ws.Spec.Cluster); err != nil {
		errs = append(errs, field.Invalid(field.NewPath("spec", "cluster"), ws.Spec.Cluster, err.Error()))
	}
	if old != nil {
		oldWS := old.(*tenancyv1alpha1.Workspace)
		if ws.Spec.Cluster != oldWS.Spec.Cluster {
			errs = append(errs, field.Invalid(field.NewPath("spec", "cluster"), ws.Spec.Cluster, "field is immutable"))
		}
		if ws.Spec.Type != oldWS.Spec.Type {
			errs = append(errs, field.Invalid(field.NewPath("spec", "type"), ws.Spec.Type, "field is immutable"))
		}
	}
	return errs
}

// WorkspaceTypes is the resourceSet of tenancy.gantry.dev workspacetypes.
func WorkspaceTypes(optsGetter generic.RESTOptionsGetter) (map[schema.GroupVersionResource]rest.Storage, error) {
	gvr := tenancyv1alpha1.SchemeGroupVersion.WithResource("workspacetypes")
	store, err := newStore(optsGetter, resource{
		gvr: gvr, kind: "WorkspaceType", singular: "workspacetype",
		newFunc: func() runtime.Object { return &tenancyv1alpha1.WorkspaceType{} },
		newList: func() runtime.Object { return &tenancyv1alpha1.WorkspaceTypeList{} },
		rules:   kindRules{validate: validateWorkspaceType},
	})
	if err != nil {
		return nil, err
	}
	return map[schema.GroupVersionResource]rest.Storage{gvr: &workspaceTypesREST{typedStore: store}}, nil
}

func validateWorkspaceType(obj, _ runtime.Object) field.ErrorList {
	t := obj.(*tenancyv1alpha1.WorkspaceType)
	errs := validateName(obj, apimachineryvalidation.NameIsDNSLabel)
	spec := field.NewPath("spec")
	errs = append(errs, validateTypeName(spec.Child("defaultChildType"), t.Spec.DefaultChildType)...)
	for i, name := range t.Spec.AllowedChildTypes {
		errs = append(errs, validateTypeName(spec.Child("allowedChildTypes").Index(i), name)...)
		if name == workspacetype.Root {
			errs = append(errs, field.Invalid(spec.Child("allowedChildTypes").Index(i), name, "root is the type of the root workspace alone"))
		}
	}
	for i, ref := range t.Spec.DefaultAPIBindings {
		p := spec.Child("defaultAPIBindings").Index(i)
		if _, err := logicalcluster.ParsePath(ref.Path); err != nil {
			errs = append(errs, field.Invalid(p.Child("path"), ref.Path, err.Error()))
		}
		for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(ref.Export, false) {
			errs = append(errs, field.Invalid(p.Child("export"), ref.Export, msg))
		}
	}
	errs = append(errs, validateDefaultPolicies(spec.Child("defaultAdmissionPolicies"), t.Spec.DefaultAdmissionPolicies)...)
	switch {
	case t.Spec.NoChildren && len(t.Spec.AllowedChildTypes) > 0:
		errs = append(errs, field.Invalid(spec.Child("noChildren"), true, "must not be set together with allowedChildTypes"))
	case t.Spec.DefaultChildType == workspacetype.Root:
		errs = append(errs, field.Invalid(spec.Child("defaultChildType"), workspacetype.Root, "root is the type of the root workspace alone"))
	case t.Spec.DefaultChildType != "" && len(t.Spec.AllowedChildTypes) > 0 && !slices.Contains(t.Spec.AllowedChildTypes, t.Spec.DefaultChildType):
		errs = append(errs, field.Invalid(spec.Child("defaultChildType"), t.Spec.DefaultChildType, "must be one of allowedChildTypes"))
	}
	return errs
}

// validateTypeName checks a reference to a WorkspaceType: empty, or a DNS label.
func validateTypeName(path *field.Path, name string) field.ErrorList {
	var errs field.ErrorList
	if name == "" {
		return nil
	}
	for _, msg := range apimachineryvalidation.NameIsDNSLabel(name, false) {
		errs = append(errs, field.Invalid(path, name, msg))
	}
	return errs
}
