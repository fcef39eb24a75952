package registry

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/pkg/workspacetype"
)

// workspaceTypesREST shows the built-in WorkspaceTypes in the root workspace, as read-only objects, next to the
// ones stored there (a stored one of the same name replaces the built-in one, as it does when types are resolved).
// The built-in types are defined in config/workspacetypes and available in every workspace; root is where a user looks for them.
type workspaceTypesREST struct {
	*typedStore
}

func builtinType(name string) *tenancyv1alpha1.WorkspaceType {
	spec := workspacetype.Builtin[name]
	return &tenancyv1alpha1.WorkspaceType{
		TypeMeta: metav1.TypeMeta{APIVersion: tenancyv1alpha1.SchemeGroupVersion.String(), Kind: "WorkspaceType"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{
			logicalcluster.AnnotationKey: string(logicalcluster.Root), "tenancy.gantry.dev/built-in": "true"}},
		Spec: *spec.DeepCopy(),
	}
}

func inRoot(ctx context.Context) bool {
	cluster, ok := logicalcluster.From(ctx)
	return ok && cluster == logicalcluster.Root
}

// Get returns a stored type, or in root a built-in one.
func (r *workspaceTypesREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	obj, err := r.typedStore.Get(ctx, name, options)
	if apierrors.IsNotFound(err) && inRoot(ctx) {
		if _, ok := workspacetype.Builtin[name]; ok {
			return builtinType(name), nil
		}
	}
	return obj, err
}

// List adds, in root, the built-in types not replaced by a stored one to the last page of a list without
// selectors.
func (r *workspaceTypesREST) List(ctx context.Context, options *metainternalversion.ListOptions) (runtime.Object, error) {
	obj, err := r.typedStore.List(ctx, options)
	if err != nil || !inRoot(ctx) || options != nil && (options.LabelSelector != nil && !options.LabelSelector.Empty() ||
		options.FieldSelector != nil && !options.FieldSelector.Empty()) {
		return obj, err
	}
	list := obj.(*tenancyv1alpha1.WorkspaceTypeList)
	if list.Continue != "" {
		return list, nil
	}
	stored := map[string]bool{}
	for _, t := range list.Items {
		stored[t.Name] = true
	}
	for _, name := range workspacetype.BuiltinNames() {
		if !stored[name] {
			list.Items = append(list.Items, *builtinType(name))
		}
	}
	return list, nil
}
