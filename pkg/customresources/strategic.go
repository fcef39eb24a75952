package customresources

import (
	"net/http"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/endpoints/handlers"
	"k8s.io/apiserver/pkg/registry/rest"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// strategicPatchTypes are the patches a resource of a Kubernetes built-in kind accepts: those of every custom
// resource and strategic merge patch.
var strategicPatchTypes = append(append([]string{}, patchTypes...), string(types.StrategicMergePatchType))

// BuiltinKind returns an empty Go object of kind when kind is a Kubernetes built-in kind known to client-go's scheme
// (apps/v1 Deployment, batch/v1 Job, v1 Service, ...): its struct tags carry the strategic merge patch metadata
// (patchStrategy, patchMergeKey) that kube-apiserver merges that kind's patches with. It returns nil for every other
// kind, and for the scheme's kinds without object metadata (options, lists, events of a watch).
func BuiltinKind(kind schema.GroupVersionKind) runtime.Object {
	if kind.Kind == "" || kind.Version == "" {
		return nil
	}
	obj, err := clientgoscheme.Scheme.New(kind)
	if err != nil {
		return nil
	}
	if _, unstructured := obj.(runtime.Unstructured); unstructured || meta.IsListType(obj) {
		return nil
	}
	if _, err := meta.Accessor(obj); err != nil {
		return nil
	}
	return obj
}

// PatchHandler serves patches of a resource stored as unstructured objects. A resource whose kind is a Kubernetes
// built-in kind (BuiltinKind) also accepts strategic merge patches, merged with that kind's patch metadata exactly
// as kube-apiserver merges them (lists by their merge key, containers by name); every other resource answers them
// 415 Unsupported Media Type, as Kubernetes does for custom resources.
func PatchHandler(store rest.Patcher, scope *handlers.RequestScope, admit admission.Interface) http.HandlerFunc {
	plain := handlers.PatchResource(store, scope, admit, patchTypes)
	if _, unstructured := store.New().(runtime.Unstructured); !unstructured {
		return plain
	}
	reference := BuiltinKind(scope.Kind)
	if reference == nil {
		return plain
	}
	strategicScope := *scope
	strategicScope.UnsafeConvertor = typedPassThrough{ObjectConvertor: scope.UnsafeConvertor}
	if d, ok := scope.Defaulter.(defaulter); ok {
		strategicScope.Defaulter = pruningDefaulter{d}
	}
	strategic := handlers.PatchResource(typedReference{Patcher: store, reference: reference}, &strategicScope, admit, strategicPatchTypes)
	return func(w http.ResponseWriter, req *http.Request) {
		contentType, _, _ := strings.Cut(req.Header.Get("Content-Type"), ";")
		if types.PatchType(strings.TrimSpace(contentType)) == types.StrategicMergePatchType {
			strategic(w, req)
			return
		}
		plain(w, req)
	}
}

// typedReference is the storage a strategic merge patch of a built-in kind goes through: everything is the
// storage's, except that New returns the kind's Go object, which the patch handler takes the patch metadata from
// (its "schema reference object"). The patch itself is applied to, and the result stored as, unstructured objects.
type typedReference struct {
	rest.Patcher
	reference runtime.Object
}

// New returns an empty Go object of the built-in kind.
func (t typedReference) New() runtime.Object { return t.reference.DeepCopyObject() }

// typedPassThrough is the converter of a strategic merge patch's scope: it leaves the built-in kind's Go object (the
// schema reference, which carries no data) as it is and converts unstructured objects as the resource's converter
// does.
type typedPassThrough struct {
	runtime.ObjectConvertor
}

// ConvertToVersion returns a typed object unchanged and converts an unstructured one with the resource's converter.
func (c typedPassThrough) ConvertToVersion(in runtime.Object, gv runtime.GroupVersioner) (runtime.Object, error) {
	if _, unstructured := in.(runtime.Unstructured); !unstructured {
		return in, nil
	}
	return c.ObjectConvertor.ConvertToVersion(in, gv)
}

// pruningDefaulter prunes the fields the schema does not know from the result of a strategic merge patch, then
// defaults it, as decoding does for the other patches: the patch handler builds that result from maps, without
// decoding it.
type pruningDefaulter struct {
	defaulter
}

// Default prunes, then defaults, obj.
func (d pruningDefaulter) Default(obj runtime.Object) {
	_ = each(obj, func(u *unstructured.Unstructured) error {
		if s := d.schemas.of(u); s != nil {
			pruning.Prune(u.Object, s, true)
		}
		return nil
	})
	d.defaulter.Default(obj)
}
