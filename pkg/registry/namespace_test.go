package registry

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

func TestNamespaceStatusRules(t *testing.T) {
	status, main := newStrategy(namespaceStatusRules), newStrategy(namespaceRules)
	old := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"},
		Spec:   corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{NamespaceFinalizer}},
		Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}
	condition := corev1.NamespaceCondition{Type: "Audited", Status: corev1.ConditionTrue}

	// Through namespaces/status the status changes, the spec does not, metadata may.
	obj := old.DeepCopy()
	obj.Spec.Finalizers = nil
	obj.Labels = map[string]string{"audited": "yes"}
	obj.Status.Conditions = []corev1.NamespaceCondition{condition}
	status.PrepareForUpdate(context.Background(), obj, old)
	assert.Equal(t, old.Spec, obj.Spec, "namespaces/status keeps the spec")
	assert.Equal(t, []corev1.NamespaceCondition{condition}, obj.Status.Conditions)
	assert.Equal(t, "yes", obj.Labels["audited"])
	assert.Empty(t, status.ValidateUpdate(context.Background(), obj, old))

	// Through the main endpoint the status does not change.
	obj = old.DeepCopy()
	obj.Status.Conditions = []corev1.NamespaceCondition{condition}
	main.PrepareForUpdate(context.Background(), obj, old)
	assert.Equal(t, old.Status, obj.Status, "namespaces keeps the status")

	// The phase must agree with deletionTimestamp.
	obj = old.DeepCopy()
	obj.Status.Phase = corev1.NamespaceTerminating
	errs := status.ValidateUpdate(context.Background(), obj, old)
	if assert.Len(t, errs, 1) {
		assert.Equal(t, "status.phase", errs[0].Field)
		assert.Contains(t, errs[0].Detail, "may only be 'Active'")
	}
	now := metav1.Now()
	deleted := old.DeepCopy()
	deleted.DeletionTimestamp = &now
	obj = deleted.DeepCopy()
	obj.Status.Phase = corev1.NamespaceActive
	errs = status.ValidateUpdate(context.Background(), obj, deleted)
	if assert.Len(t, errs, 1) {
		assert.Contains(t, errs[0].Detail, "may only be 'Terminating'")
	}

	assert.True(t, status.GetResetFields()["v1"].Has(fieldPath("spec")), "server-side apply to namespaces/status ignores the spec")
	assert.True(t, main.GetResetFields()["v1"].Has(fieldPath("status")), "server-side apply to namespaces ignores the status")
}

func fieldPath(name string) fieldpath.Path { return fieldpath.MakePathOrDie(name) }
