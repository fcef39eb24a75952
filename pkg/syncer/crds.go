package syncer

import (
	"context"
	"fmt"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"
	"k8s.io/klog/v2"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/sdk"
)

// crdsGVR is where downstream CRDs are applied.
var crdsGVR = apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")

// establishTimeout bounds the wait for a downstream CRD to be Established; one that is not by then is tried again
// on the next refresh.
const establishTimeout = 30 * time.Second

// installCRDs applies downstream the CRD of each resource the virtual workspace offers one for, at
// <vw>/clusters/*/apis/apiextensions.k8s.io/v1/customresourcedefinitions, and waits until each is Established. It
// returns the state of each resource it found a CRD for: Accepted, or Incompatible when the downstream cluster
// refused the CRD. A virtual workspace without that endpoint (an older server) yields nothing: the CRDs are then
// expected to be installed downstream by other means.
func (s *Syncer) installCRDs(ctx context.Context, resources []served) map[schema.GroupResource]computev1alpha1.SyncedResourceState {
	logger := klog.FromContext(ctx)
	client, err := apiextensionsclient.NewForConfigAndClient(s.clusterConfig(sdk.Wildcard), s.vwHTTP)
	if err != nil {
		return nil
	}
	list, err := client.ApiextensionsV1().CustomResourceDefinitions().List(ctx, metav1.ListOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) || apierrors.IsMethodNotSupported(err) {
			logger.V(2).Info("the virtual workspace lists no CRDs; expecting them installed downstream", "err", err)
		} else {
			logger.Error(err, "listing the virtual workspace's CRDs")
		}
		return nil
	}
	wanted := map[schema.GroupResource]bool{}
	for _, r := range resources {
		wanted[r.gvr.GroupResource()] = true
	}
	out := map[schema.GroupResource]computev1alpha1.SyncedResourceState{}
	for i := range list.Items {
		crd := &list.Items[i]
		gr := schema.GroupResource{Group: crd.Spec.Group, Resource: crd.Spec.Names.Plural}
		if !wanted[gr] {
			continue
		}
		if s.servesNatively(ctx, crd) {
			// Deployments and the like, offered from this cluster's own APIs: nothing to install.
			out[gr] = computev1alpha1.SyncedResourceAccepted
			continue
		}
		if err := s.applyCRD(ctx, crd); err != nil {
			logger.Error(err, "the downstream cluster refused the CRD", "crd", gr.String())
			out[gr] = computev1alpha1.SyncedResourceIncompatible
			continue
		}
		out[gr] = computev1alpha1.SyncedResourceAccepted
	}
	return out
}

// servesNatively reports whether the downstream cluster serves a CRD's resource (at its first version) without a
// CRD of that name: a built-in resource, such as deployments.apps.
func (s *Syncer) servesNatively(ctx context.Context, crd *apiextensionsv1.CustomResourceDefinition) bool {
	if len(crd.Spec.Versions) == 0 {
		return false
	}
	name := crd.Spec.Names.Plural + "." + crd.Spec.Group
	if _, err := s.downExt.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		return false // ours (or a cluster's own CRD): applied and checked as usual
	}
	gv := schema.GroupVersion{Group: crd.Spec.Group, Version: crd.Spec.Versions[0].Name}
	list, err := s.down.Discovery().ServerResourcesForGroupVersion(gv.String())
	if err != nil {
		return false
	}
	for _, r := range list.APIResources {
		if r.Name == crd.Spec.Names.Plural {
			return true
		}
	}
	return false
}

// DownstreamCRD is the CRD to apply downstream for one served upstream: its spec under the name the API server
// requires (<plural>.<group>), without the upstream metadata and status, labeled for the target.
func DownstreamCRD(upstream *apiextensionsv1.CustomResourceDefinition, targetKey string) (*unstructured.Unstructured, error) {
	crd := &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: apiextensionsv1.SchemeGroupVersion.String(), Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: upstream.Spec.Names.Plural + "." + upstream.Spec.Group, Labels: map[string]string{SyncTargetLabel: targetKey}},
		Spec:       *upstream.Spec.DeepCopy(),
	}
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(crd)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: obj}
	unstructured.RemoveNestedField(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	return u, nil
}

// applyCRD applies one CRD downstream and waits until the downstream API server establishes it, so that objects
// are never applied before their resource exists.
func (s *Syncer) applyCRD(ctx context.Context, upstream *apiextensionsv1.CustomResourceDefinition) error {
	desired, err := DownstreamCRD(upstream, s.key)
	if err != nil {
		return err
	}
	_, err = s.downDynamic.Resource(crdsGVR).Apply(ctx, desired.GetName(), desired, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	if err != nil {
		return err
	}
	return s.waitEstablished(ctx, desired.GetName())
}

// waitEstablished watches one downstream CRD until its Established condition is True, or establishTimeout passes.
func (s *Syncer) waitEstablished(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, establishTimeout)
	defer cancel()
	client := s.downExt.ApiextensionsV1().CustomResourceDefinitions()
	byName := fields.OneTermEqualSelector("metadata.name", name).String()
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			o.FieldSelector = byName
			return client.List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			o.FieldSelector = byName
			return client.Watch(ctx, o)
		},
	}
	isEstablished := func(obj interface{}) bool {
		crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition)
		return ok && established(crd)
	}
	_, err := watchtools.UntilWithSync(ctx, lw, &apiextensionsv1.CustomResourceDefinition{},
		func(store cache.Store) (bool, error) {
			obj, exists, err := store.GetByKey(name)
			return exists && isEstablished(obj), err
		},
		func(ev watch.Event) (bool, error) { return isEstablished(ev.Object), nil })
	if err != nil {
		return fmt.Errorf("CRD %s not established downstream: %w", name, err)
	}
	return nil
}

func established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}
