package customresources

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/registry/rest"
)

// oneObject stores one ConfigMap; Update runs the update validation on the object objInfo makes.
type oneObject struct {
	rest.TableConvertor
	stored *corev1.ConfigMap
}

func (s *oneObject) New() runtime.Object     { return &corev1.ConfigMap{} }
func (s *oneObject) NewList() runtime.Object { return &corev1.ConfigMapList{} }
func (s *oneObject) Destroy()                {}
func (s *oneObject) Get(context.Context, string, *metav1.GetOptions) (runtime.Object, error) {
	return s.stored.DeepCopy(), nil
}
func (s *oneObject) List(context.Context, *metainternalversion.ListOptions) (runtime.Object, error) {
	return &corev1.ConfigMapList{Items: []corev1.ConfigMap{*s.stored}}, nil
}
func (s *oneObject) Watch(context.Context, *metainternalversion.ListOptions) (watch.Interface, error) {
	return watch.NewEmptyWatch(), nil
}
func (s *oneObject) Update(ctx context.Context, _ string, objInfo rest.UpdatedObjectInfo, _ rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, _ bool, _ *metav1.UpdateOptions) (runtime.Object, bool, error) {
	obj, err := objInfo.UpdatedObject(ctx, s.stored.DeepCopy())
	if err != nil {
		return nil, false, err
	}
	if err := updateValidation(ctx, obj, s.stored); err != nil {
		return nil, false, err
	}
	s.stored = obj.(*corev1.ConfigMap)
	return obj, false, nil
}

func TestFilteredStoreUpdate(t *testing.T) {
	placed := labels.SelectorFromSet(labels.Set{"placed": "yes"})
	unlabel := rest.DefaultUpdatedObjectInfo(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}})
	newStore := func() *oneObject {
		return &oneObject{stored: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Labels: map[string]string{"placed": "yes"}}}}
	}

	_, _, err := NewFilteredStore(newStore(), View{Selector: placed}).Update(context.Background(), "c", unlabel, nil, nil, false, nil)
	assert.True(t, apierrors.IsForbidden(err), "without a check, an update may not leave the view: %v", err)

	refused := errors.New("refused")
	var seenOld, seenNew runtime.Object
	check := func(_ context.Context, obj, old runtime.Object) error {
		seenNew, seenOld = obj, old
		return refused
	}
	store := newStore()
	_, _, err = NewFilteredStore(store, View{Selector: placed, ValidateUpdate: check}).Update(context.Background(), "c", unlabel, nil, nil, false, nil)
	assert.Equal(t, refused, err, "the check refuses")
	assert.Equal(t, "yes", seenOld.(*corev1.ConfigMap).Labels["placed"])
	assert.Empty(t, seenNew.(*corev1.ConfigMap).Labels)
	assert.Equal(t, "yes", store.stored.Labels["placed"], "nothing written")

	allow := func(context.Context, runtime.Object, runtime.Object) error { return nil }
	_, _, err = NewFilteredStore(store, View{Selector: placed, ValidateUpdate: allow}).Update(context.Background(), "c", unlabel, nil, nil, false, nil)
	assert.NoError(t, err, "the check may let an object leave the view")

	_, _, err = NewFilteredStore(store, View{Selector: placed, ValidateUpdate: allow}).Update(context.Background(), "c", unlabel, nil, nil, false, nil)
	assert.True(t, apierrors.IsNotFound(err), "an object out of the view is not found, whatever the check: %v", err)
}
