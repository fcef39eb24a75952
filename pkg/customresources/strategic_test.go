package customresources

import (
	"testing"

	"github.com/stretchr/testify/assert"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestBuiltinKind(t *testing.T) {
	assert.IsType(t, &appsv1.Deployment{}, BuiltinKind(appsv1.SchemeGroupVersion.WithKind("Deployment")))
	assert.IsType(t, &corev1.Service{}, BuiltinKind(corev1.SchemeGroupVersion.WithKind("Service")))
	for _, kind := range []schema.GroupVersionKind{
		{Group: "example.com", Version: "v1", Kind: "Widget"},
		{Group: "apps", Version: "v1", Kind: "DeploymentList"},
		{Group: "apps", Version: "v1", Kind: "ListOptions"},
		{Group: "apps", Version: "v1", Kind: "WatchEvent"},
		{Group: "apps", Version: "v9", Kind: "Deployment"},
		{Group: "apps", Kind: "Deployment"},
	} {
		assert.Nil(t, BuiltinKind(kind), kind.String())
	}
}
