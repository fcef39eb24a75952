package registry

import (
	"fmt"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
)

// StorageCodec returns how a resource is written to etcd: the Kubernetes built-ins as protobuf (as Kubernetes
// does), Gantry's own kinds as JSON, each in its served version.
func StorageCodec(resource schema.GroupResource) (runtime.Codec, runtime.GroupVersioner, error) {
	if resource.Group == apiextensions.GroupName {
		return serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
			StorageMediaType:  runtime.ContentTypeProtobuf,
			StorageSerializer: APIExtensionsCodecs,
			StorageVersion:    apiextensionsv1.SchemeGroupVersion,
			MemoryVersion:     schema.GroupVersion{Group: apiextensions.GroupName, Version: runtime.APIVersionInternal},
		})
	}
	var version schema.GroupVersion
	found := false
	for gv := range servedKinds {
		if gv.Group == resource.Group {
			version, found = gv, true
			break
		}
	}
	if !found {
		return nil, nil, fmt.Errorf("no storage version for %s", resource)
	}
	mediaType := runtime.ContentTypeProtobuf
	if strings.HasSuffix(version.Group, ".gantry.dev") {
		mediaType = runtime.ContentTypeJSON
	}
	return serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  mediaType,
		StorageSerializer: Codecs,
		StorageVersion:    version,
		MemoryVersion:     InternalVersion(version.Group),
	})
}
