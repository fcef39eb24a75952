package registry

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// decodeAsRequest decodes a body as the generic handlers do: into the hub version, through Scheme's defaulter.
func decodeAsRequest(t *testing.T, body string) runtime.Object {
	t.Helper()
	gv := rbacv1.SchemeGroupVersion
	if obj, _, err := Codecs.UniversalDeserializer().Decode([]byte(body), nil, nil); err == nil {
		gv = obj.GetObjectKind().GroupVersionKind().GroupVersion()
	}
	obj, _, err := Codecs.DecoderToVersion(Codecs.UniversalDeserializer(), InternalVersion(gv.Group)).Decode([]byte(body), nil, nil)
	require.NoError(t, err)
	return obj
}

func TestDecodingAppliesDefaults(t *testing.T) {
	rb := decodeAsRequest(t, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"b"},
		"roleRef":{"kind":"Role","name":"r"},"subjects":[{"kind":"User","name":"u"},{"kind":"Group","name":"g"},
		{"kind":"ServiceAccount","name":"s","namespace":"n"},{"kind":"User","name":"x","apiGroup":"example.com"}]}`).(*rbacv1.RoleBinding)
	assert.Equal(t, rbacv1.GroupName, rb.RoleRef.APIGroup)
	assert.Equal(t, []string{rbacv1.GroupName, rbacv1.GroupName, "", "example.com"},
		[]string{rb.Subjects[0].APIGroup, rb.Subjects[1].APIGroup, rb.Subjects[2].APIGroup, rb.Subjects[3].APIGroup},
		"User and Group default to RBAC's group, a ServiceAccount to the core group, a set group stays")

	crb := decodeAsRequest(t, `{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"b"},
		"roleRef":{"kind":"ClusterRole","name":"r"},"subjects":[{"kind":"Group","name":"g"}]}`).(*rbacv1.ClusterRoleBinding)
	assert.Equal(t, rbacv1.GroupName, crb.RoleRef.APIGroup)
	assert.Equal(t, rbacv1.GroupName, crb.Subjects[0].APIGroup)

	secret := decodeAsRequest(t, `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}`).(*corev1.Secret)
	assert.Equal(t, corev1.SecretTypeOpaque, secret.Type)
	typed := decodeAsRequest(t, `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"type":"kubernetes.io/tls"}`).(*corev1.Secret)
	assert.Equal(t, corev1.SecretTypeTLS, typed.Type)

	merged := decodeAsRequest(t, `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"a":"YQ==","b":"Yg=="},"stringData":{"b":"B","c":"C"}}`).(*corev1.Secret)
	assert.Equal(t, map[string][]byte{"a": []byte("a"), "b": []byte("B"), "c": []byte("C")}, merged.Data, "stringData wins over data")
	assert.Nil(t, merged.StringData)

	cm := decodeAsRequest(t, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}`).(*corev1.ConfigMap)
	assert.NotNil(t, cm.Data)

	ns := decodeAsRequest(t, `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team","labels":{"a":"b"}}}`).(*corev1.Namespace)
	assert.Equal(t, map[string]string{"a": "b", corev1.LabelMetadataName: "team"}, ns.Labels)
	assert.Equal(t, corev1.NamespaceActive, ns.Status.Phase)
	generated := decodeAsRequest(t, `{"apiVersion":"v1","kind":"Namespace","metadata":{"generateName":"team-"}}`).(*corev1.Namespace)
	assert.Empty(t, generated.Labels, "a namespace without a name yet is labeled when canonicalized")
}

func TestNamespaceCanonicalizeLabelsTheName(t *testing.T) {
	ns := &corev1.Namespace{}
	ns.Name = "team-x7k2p"
	ns.Labels = map[string]string{corev1.LabelMetadataName: "forged"}
	newStrategy(namespaceRules).Canonicalize(ns)
	assert.Equal(t, "team-x7k2p", ns.Labels[corev1.LabelMetadataName])
}
