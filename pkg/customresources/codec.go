package customresources

import (
	"fmt"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/crdserverscheme"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/versioning"
	"k8s.io/apiserver/pkg/registry/generic"
)

// schemas are the structural schemas of one CRD, by version, and the group kind they apply to.
type schemas struct {
	gk        schema.GroupKind
	byVersion map[string]*structuralschema.Structural
}

// of returns the schema that applies to obj, or nil for objects of other kinds (options, Status, lists).
func (s schemas) of(obj *unstructured.Unstructured) *structuralschema.Structural {
	gvk := obj.GroupVersionKind()
	if gvk.GroupKind() != s.gk {
		return nil
	}
	return s.byVersion[gvk.Version]
}

// each calls f for obj, or for every item of a list.
func each(obj runtime.Object, f func(*unstructured.Unstructured) error) error {
	switch t := obj.(type) {
	case *unstructured.Unstructured:
		return f(t)
	case *unstructured.UnstructuredList:
		for i := range t.Items {
			if err := f(&t.Items[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// typer recognizes custom resources by their apiVersion and kind, and the option kinds by the parameter scheme.
type typer struct {
	unstructured *crdserverscheme.UnstructuredObjectTyper
	parameters   *runtime.Scheme
}

func (t typer) ObjectKinds(obj runtime.Object) ([]schema.GroupVersionKind, bool, error) {
	if _, ok := obj.(runtime.Unstructured); ok {
		return t.unstructured.ObjectKinds(obj)
	}
	return t.parameters.ObjectKinds(obj)
}

func (t typer) Recognizes(gvk schema.GroupVersionKind) bool {
	return t.unstructured.Recognizes(gvk) || t.parameters.Recognizes(gvk)
}

// creator makes empty custom resources of any kind.
type creator struct{}

func (creator) New(kind schema.GroupVersionKind) (runtime.Object, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(kind)
	return u, nil
}

// defaulter applies the schema's defaults to custom resources and the scheme's to everything else.
type defaulter struct {
	schemas    schemas
	parameters *runtime.Scheme
}

func (d defaulter) Default(obj runtime.Object) {
	if _, ok := obj.(runtime.Unstructured); !ok {
		d.parameters.Default(obj)
		return
	}
	_ = each(obj, func(u *unstructured.Unstructured) error {
		if s := d.schemas.of(u); s != nil {
			structuraldefaulting.Default(u.Object, s)
		}
		return nil
	})
}

// schemaDecoder makes decoded custom resources fit their schema: metadata of the wrong shape is refused, and fields
// the schema does not know are pruned. With reportUnknown, pruned fields are also reported as a strict decoding
// error, which the endpoint handlers turn into an error or a warning according to the request's fieldValidation.
type schemaDecoder struct {
	delegate runtime.Decoder
	schemas  schemas
	// reportUnknown is set for the strict decoders the handlers use with fieldValidation Strict or Warn.
	reportUnknown bool
	// fromStorage drops malformed metadata instead of failing, so that one bad stored object cannot break reads.
	fromStorage bool
}

func (d schemaDecoder) Decode(data []byte, defaults *schema.GroupVersionKind, into runtime.Object) (runtime.Object, *schema.GroupVersionKind, error) {
	obj, gvk, err := d.delegate.Decode(data, defaults, into)
	if err != nil && !runtime.IsStrictDecodingError(err) {
		return obj, gvk, err
	}
	var unknown []error
	if strict, ok := runtime.AsStrictDecodingError(err); ok {
		unknown = append(unknown, strict.Errors()...)
	}
	fitErr := each(obj, func(u *unstructured.Unstructured) error {
		s := d.schemas.of(u)
		if s == nil {
			return nil
		}
		if fe := schemaobjectmeta.Coerce(nil, u.Object, s, true, d.fromStorage); fe != nil {
			return apierrors.NewBadRequest(fe.Error())
		}
		if !d.reportUnknown {
			pruning.Prune(u.Object, s, true)
			return nil
		}
		for _, path := range pruning.PruneWithOptions(u.Object, s, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
			unknown = append(unknown, fmt.Errorf("unknown field %q", path))
		}
		return nil
	})
	if fitErr != nil {
		return nil, gvk, fitErr
	}
	if len(unknown) > 0 {
		return obj, gvk, runtime.NewStrictDecodingError(unknown)
	}
	return obj, gvk, nil
}

// negotiatedSerializer serves a CRD's objects as JSON and YAML (custom resources have no protobuf form), decoding
// through schemaDecoder and converting between the CRD's versions.
type negotiatedSerializer struct {
	typer     runtime.ObjectTyper
	converter runtime.ObjectConvertor
	defaulter runtime.ObjectDefaulter
	schemas   schemas
	media     []runtime.SerializerInfo
	// strict holds the strict serializers of media: the handlers pass one of them when unknown fields matter.
	strict map[runtime.Decoder]bool
}

func newNegotiatedSerializer(t runtime.ObjectTyper, converter runtime.ObjectConvertor, d runtime.ObjectDefaulter, s schemas) negotiatedSerializer {
	c := creator{}
	jsonSerializer := func(opts json.SerializerOptions) *json.Serializer {
		return json.NewSerializerWithOptions(json.DefaultMetaFactory, c, t, opts)
	}
	n := negotiatedSerializer{typer: t, converter: converter, defaulter: d, schemas: s, strict: map[runtime.Decoder]bool{}, media: []runtime.SerializerInfo{
		{
			MediaType: runtime.ContentTypeJSON, MediaTypeType: "application", MediaTypeSubType: "json", EncodesAsText: true,
			Serializer:       jsonSerializer(json.SerializerOptions{}),
			PrettySerializer: jsonSerializer(json.SerializerOptions{Pretty: true}),
			StrictSerializer: jsonSerializer(json.SerializerOptions{Strict: true}),
			StreamSerializer: &runtime.StreamSerializerInfo{EncodesAsText: true, Serializer: jsonSerializer(json.SerializerOptions{}), Framer: json.Framer},
		},
		{
			MediaType: runtime.ContentTypeYAML, MediaTypeType: "application", MediaTypeSubType: "yaml", EncodesAsText: true,
			Serializer:       jsonSerializer(json.SerializerOptions{Yaml: true}),
			StrictSerializer: jsonSerializer(json.SerializerOptions{Yaml: true, Strict: true}),
		},
	}}
	for _, m := range n.media {
		n.strict[m.StrictSerializer] = true
	}
	return n
}

func (n negotiatedSerializer) SupportedMediaTypes() []runtime.SerializerInfo { return n.media }

func (n negotiatedSerializer) EncoderForVersion(encoder runtime.Encoder, gv runtime.GroupVersioner) runtime.Encoder {
	return versioning.NewCodec(encoder, nil, n.converter, creator{}, n.typer, nil, gv, nil, "gantry-customresources")
}

func (n negotiatedSerializer) DecoderToVersion(decoder runtime.Decoder, gv runtime.GroupVersioner) runtime.Decoder {
	return versioning.NewCodec(nil, schemaDecoder{delegate: decoder, schemas: n.schemas, reportUnknown: n.strict[decoder]}, n.converter, creator{}, n.typer, n.defaulter, nil, gv, "gantry-customresources")
}

// storageOptions gives a CRD version's storage its key prefix (with the CRD's identity before the cluster) and a
// codec that stores in the CRD's storage version and reads into the served version, defaulting and pruning.
type storageOptions struct {
	base          storageBase
	prefix        string
	codec         runtime.Codec
	encodeVersion runtime.GroupVersioner
}

// storageBase hands out RESTOptions under an explicit prefix; clusterstore.RESTOptionsGetter implements it.
type storageBase interface {
	RESTOptionsWithPrefix(resource schema.GroupResource, prefix string, codec runtime.Codec, versioner runtime.GroupVersioner) generic.RESTOptions
}

func (o storageOptions) GetRESTOptions(resource schema.GroupResource, _ runtime.Object) (generic.RESTOptions, error) {
	return o.base.RESTOptionsWithPrefix(resource, o.prefix, o.codec, o.encodeVersion), nil
}

func newStorageCodec(t runtime.ObjectTyper, converter runtime.ObjectConvertor, d runtime.ObjectDefaulter, s schemas, storageVersion, servedVersion schema.GroupVersion) runtime.Codec {
	return versioning.NewCodec(
		unstructured.UnstructuredJSONScheme,
		schemaDecoder{delegate: unstructured.UnstructuredJSONScheme, schemas: s, fromStorage: true},
		converter, creator{}, t, d, storageVersion, servedVersion, "gantry-customresources-storage")
}

// parameterScheme knows the option kinds the endpoint handlers decode for a CRD version, and the meta kinds
// (Status and WatchEvent above all) they encode.
func parameterScheme(gv schema.GroupVersion) *runtime.Scheme {
	s := runtime.NewScheme()
	metav1.AddToGroupVersion(s, metav1.SchemeGroupVersion)
	s.AddUnversionedTypes(gv, &metav1.ListOptions{}, &metav1.GetOptions{}, &metav1.DeleteOptions{})
	// Unversioned, so that encoding them for the custom resource's version converts nothing: the CRD converter
	// knows only custom resources.
	s.AddUnversionedTypes(schema.GroupVersion{Version: "v1"}, &metav1.Status{}, &metav1.WatchEvent{})
	return s
}
