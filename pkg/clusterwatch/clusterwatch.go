package clusterwatch

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/gantry-dev/gantry/sdk"
)

// ListWatch returns a ListerWatcher for the collection at apiPath (for example
// "/apis/tenancy.gantry.dev/v1alpha1/workspaces") in every workspace. client must have no /clusters prefix and a
// serializer that decodes the list type newList returns.
func ListWatch(client rest.Interface, apiPath string, newList func() runtime.Object) cache.ListerWatcher {
	return listWatch(client, apiPath, "", newList)
}

// listWatch is ListWatch restricted by a field selector (none when empty).
func listWatch(client rest.Interface, apiPath, fieldSelector string, newList func() runtime.Object) cache.ListerWatcher {
	path := "/clusters/*" + apiPath
	return sdk.ListOnly(&cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			opts.FieldSelector = fieldSelector
			list := newList()
			err := client.Get().AbsPath(path).VersionedParams(&opts, metav1.ParameterCodec).Do(ctx).Into(list)
			return list, err
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.Watch, opts.FieldSelector = true, fieldSelector
			return client.Get().AbsPath(path).VersionedParams(&opts, metav1.ParameterCodec).Watch(ctx)
		},
	})
}

// LoopbackClient returns a REST client for one group version through the server's privileged loopback config
// (which has no /clusters prefix), for the wildcard watches of Feed. Clients of one workspace come from the one
// factory, sdk.Client. Bodies are protobuf for the Kubernetes groups whose types all have it (ProtobufGroups), as
// kube-apiserver's own loopback clients use: every object of those kinds stored or deleted in any workspace is
// one event these watches decode, and a restart lists them all, and protobuf decodes several times cheaper than
// JSON (JSON decoding was the largest part of a restart's CPU at 10,000 workspaces). Other groups are JSON.
func LoopbackClient(loopback *rest.Config, gv schema.GroupVersion, codecs serializer.CodecFactory) (*rest.RESTClient, error) {
	cfg := rest.CopyConfig(loopback)
	cfg.GroupVersion = &gv
	cfg.APIPath = "/apis"
	if gv.Group == "" {
		cfg.APIPath = "/api"
	}
	cfg.NegotiatedSerializer = codecs.WithoutConversion()
	cfg.ContentType = runtime.ContentTypeJSON
	if ProtobufGroups[gv.Group] {
		UseProtobuf(cfg)
	}
	return rest.RESTClientFor(cfg)
}

// UseProtobuf makes cfg, a config for groups of ProtobufGroups only, send protobuf and ask for it (JSON where the
// server cannot), and returns it.
func UseProtobuf(cfg *rest.Config) *rest.Config {
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	return cfg
}

// ProtobufGroups are the API groups served by the typed registry whose every kind has a protobuf encoding (the
// Kubernetes ones); Gantry's own groups and custom resources have none.
var ProtobufGroups = map[string]bool{
	"":                             true,
	"rbac.authorization.k8s.io":    true,
	"admissionregistration.k8s.io": true,
}

// Feed starts, until ctx ends, a reflector that fills store from the collection at apiPath in every workspace.
// example is one object of the collection; name labels the reflector in logs.
func Feed(ctx context.Context, client rest.Interface, apiPath string, newList func() runtime.Object, example runtime.Object, store cache.ReflectorStore, name string) {
	r := cache.NewReflectorWithOptions(ListWatch(client, apiPath, newList), example, store, cache.ReflectorOptions{Name: name})
	go r.RunWithContext(ctx)
}

// FeedNamed is Feed for the objects named objectName only, in every namespace of every workspace: for a
// controller that keeps one well-known object per namespace, without holding the rest of the collection.
func FeedNamed(ctx context.Context, client rest.Interface, apiPath, objectName string, newList func() runtime.Object, example runtime.Object, store cache.ReflectorStore, name string) {
	selector := fields.OneTermEqualSelector("metadata.name", objectName).String()
	r := cache.NewReflectorWithOptions(listWatch(client, apiPath, selector, newList), example, store, cache.ReflectorOptions{Name: name})
	go r.RunWithContext(ctx)
}
