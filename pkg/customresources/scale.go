package customresources

import (
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apiserver/pkg/endpoints/handlers"
	"k8s.io/client-go/scale"
)

// scaleCodecs serialize autoscaling/v1 Scale, the body of every /scale subresource.
var scaleCodecs = scale.NewScaleConverter().Codecs()

// scaleScope derives the request scope of the scale subresource from a version's main scope: the body is an
// autoscaling/v1 Scale, while conversion, defaulting and the hub version stay the custom resource's, because the
// scale storage reads and writes the custom resource underneath.
func scaleScope(main *handlers.RequestScope, typeConverter managedfields.TypeConverter) (*handlers.RequestScope, error) {
	s := *main
	s.Subresource = "scale"
	s.Serializer = scaleCodecs
	s.StandardSerializers = scaleCodecs.SupportedMediaTypes()
	s.Kind = autoscalingv1.SchemeGroupVersion.WithKind("Scale")
	s.TableConvertor = nil
	var err error
	s.FieldManager, err = managedfields.NewDefaultCRDFieldManager(typeConverter, s.Convertor, s.Defaulter, s.Creater,
		s.Kind, s.HubGroupVersion, "scale", nil)
	return &s, err
}
