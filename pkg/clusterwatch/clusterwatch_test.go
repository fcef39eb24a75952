package clusterwatch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/clusterwatch"
	"github.com/gantry-dev/gantry/pkg/registry"
)

// TestLoopbackClientSpeaksProtobufOnlyWhereEveryKindHasIt checks that the loopback clients of Kubernetes groups
// send and ask for protobuf, that Gantry's own groups stay JSON (their kinds have no protobuf encoding), and that
// every kind the scheme knows in a protobuf group can be encoded so.
func TestLoopbackClientSpeaksProtobufOnlyWhereEveryKindHasIt(t *testing.T) {
	var accepted string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accepted = r.Header.Get("Accept")
		w.Header().Set("Content-Type", runtime.ContentTypeJSON)
		_, _ = w.Write([]byte(`{}`))
	}))
	defer server.Close()
	loopback := &rest.Config{Host: server.URL}
	for gv, want := range map[schema.GroupVersion]string{
		corev1.SchemeGroupVersion:          runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON,
		rbacv1.SchemeGroupVersion:          runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON,
		tenancyv1alpha1.SchemeGroupVersion: runtime.ContentTypeJSON + ", */*",
	} {
		client, err := clusterwatch.LoopbackClient(loopback, gv, registry.Codecs)
		require.NoError(t, err)
		require.NoError(t, client.Get().AbsPath("/probe").Do(context.Background()).Error())
		assert.Equal(t, want, accepted, "what the loopback client of %s asks for", gv)
	}

	info, ok := runtime.SerializerInfoForMediaType(registry.Codecs.SupportedMediaTypes(), runtime.ContentTypeProtobuf)
	require.True(t, ok, "the server's codecs offer protobuf")
	for gvk := range registry.Scheme.AllKnownTypes() {
		if !clusterwatch.ProtobufGroups[gvk.Group] || gvk.Version == runtime.APIVersionInternal {
			continue
		}
		obj, err := registry.Scheme.New(gvk)
		require.NoError(t, err)
		_, err = runtime.Encode(info.Serializer, obj)
		assert.NoError(t, err, "%s must have a protobuf encoding to be watched in protobuf", gvk)
	}
}
