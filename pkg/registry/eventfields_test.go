package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// core/v1 events are selected by the fields `kubectl describe` asks for; an unknown field is refused.
func TestEventFieldSelectors(t *testing.T) {
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "default"}, Type: corev1.EventTypeWarning, Reason: "BackOff",
		InvolvedObject: corev1.ObjectReference{Kind: "Deployment", Namespace: "default", Name: "web", UID: "u1"},
		Source:         corev1.EventSource{Component: "gantry-syncer/gpu"}}
	_, set, err := eventFields(ev)
	require.NoError(t, err)
	describe := fields.ParseSelectorOrDie("involvedObject.kind=Deployment,involvedObject.name=web,involvedObject.namespace=default,involvedObject.uid=u1")
	assert.True(t, describe.Matches(set))
	assert.False(t, fields.ParseSelectorOrDie("involvedObject.name=other").Matches(set))
	assert.True(t, fields.ParseSelectorOrDie("type=Warning,reason=BackOff,source=gantry-syncer/gpu,metadata.name=e").Matches(set))

	for _, label := range []string{"involvedObject.uid", "type", "metadata.namespace"} {
		_, _, err := Scheme.ConvertFieldLabel(corev1.SchemeGroupVersion.WithKind("Event"), label, "x")
		assert.NoError(t, err, label)
	}
	_, _, err = Scheme.ConvertFieldLabel(corev1.SchemeGroupVersion.WithKind("Event"), "message", "x")
	assert.Error(t, err)
	_, _, err = eventFields(&corev1.ConfigMap{})
	assert.Error(t, err)
}
