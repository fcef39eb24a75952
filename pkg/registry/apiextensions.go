package registry

import (
	"context"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/install"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresourcedefinition"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
)

var (
	// APIExtensionsScheme holds apiextensions.k8s.io with its real internal version, which upstream's CRD
	// registry (validation, structural schema checks, defaulting) is written against.
	APIExtensionsScheme = runtime.NewScheme()
	// APIExtensionsCodecs serializes the kinds of APIExtensionsScheme.
	APIExtensionsCodecs = serializer.NewCodecFactory(APIExtensionsScheme)
)

func init() {
	install.Install(APIExtensionsScheme)
	metav1.AddToGroupVersion(APIExtensionsScheme, schema.GroupVersion{Version: "v1"})
	APIExtensionsScheme.AddUnversionedTypes(schema.GroupVersion{Version: "v1"}, &metav1.Status{}, &metav1.APIVersions{},
		&metav1.APIGroupList{}, &metav1.APIGroup{}, &metav1.APIResourceList{})
	externalScheme.AddKnownTypes(apiextensionsv1.SchemeGroupVersion,
		&apiextensionsv1.CustomResourceDefinition{}, &apiextensionsv1.CustomResourceDefinitionList{})
}

// APIExtensionsGroup builds apiextensions.k8s.io/v1: customresourcedefinitions and their status, stored per
// workspace like every other resource.
func APIExtensionsGroup(optsGetter generic.RESTOptionsGetter) (*genericapiserver.APIGroupInfo, error) {
	crds, err := customresourcedefinition.NewREST(APIExtensionsScheme, optsGetter)
	if err != nil {
		return nil, err
	}
	info := genericapiserver.NewDefaultAPIGroupInfo(apiextensions.GroupName, APIExtensionsScheme, metav1.ParameterCodec, APIExtensionsCodecs)
	info.PrioritizedVersions = []schema.GroupVersion{apiextensionsv1.SchemeGroupVersion}
	info.VersionedResourcesStorageMap["v1"] = map[string]rest.Storage{
		"customresourcedefinitions":        &crdREST{REST: crds},
		"customresourcedefinitions/status": customresourcedefinition.NewStatusREST(APIExtensionsScheme, crds),
	}
	return &info, nil
}

// crdREST deletes a CustomResourceDefinition at once, and Gantry's CRD controller then erases its custom
// resources: they stop being served the moment the CRD is gone, and a CRD created again with the same name starts
// empty. Upstream's REST instead marks the CRD Terminating and waits for a cleanup controller that deletes the
// objects one by one; Gantry erases them with one range delete, because their keys carry the CRD's identity.
type crdREST struct {
	*customresourcedefinition.REST
}

// Delete implements rest.GracefulDeleter.
func (r *crdREST) Delete(ctx context.Context, name string, deleteValidation rest.ValidateObjectFunc, options *metav1.DeleteOptions) (runtime.Object, bool, error) {
	return r.REST.Store.Delete(ctx, name, deleteValidation, options)
}
