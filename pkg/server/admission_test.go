package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"sigs.k8s.io/yaml"

	"github.com/gantry-dev/gantry/pkg/server"
	"github.com/gantry-dev/gantry/test/harness"
)

// recorder is an admission plugin that remembers the resources it was asked about on create, and refuses objects
// named "refused".
type recorder struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *recorder) Handles(op admission.Operation) bool { return op == admission.Create }

func (r *recorder) Validate(_ context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	r.mu.Lock()
	r.seen[a.GetResource().GroupResource().String()] = true
	r.mu.Unlock()
	if a.GetName() == "refused" {
		return admission.NewForbidden(a, fmt.Errorf("refused by the test plugin"))
	}
	return nil
}

func (r *recorder) saw(resource string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[resource]
}

const admissionFixtures = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
---
apiVersion: apis.gantry.dev/v1alpha1
kind: APIResourceSchema
metadata: {name: v1.things.provider.example}
spec:
  group: provider.example
  names: {kind: Thing, plural: things, singular: thing, listKind: ThingList}
  scope: Namespaced
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
---
apiVersion: apis.gantry.dev/v1alpha1
kind: APIExport
metadata: {name: things}
spec: {latestResourceSchemas: [v1.things.provider.example]}
---
apiVersion: apis.gantry.dev/v1alpha1
kind: APIBinding
metadata: {name: things}
spec: {reference: {export: {name: things}}}
`

// TestOneAdmissionChain registers one plugin and sees it decide for a built-in resource, a CRD's resource and a
// bound resource alike.
func TestOneAdmissionChain(t *testing.T) {
	rec := &recorder{seen: map[string]bool{}}
	s := harness.StartInProcess(t, func(o *server.Options) { o.Admission = []admission.Interface{rec} })
	_, client := s.Clients(t, "root")
	ctx := context.Background()
	for _, doc := range strings.Split(admissionFixtures, "\n---\n") {
		obj := &unstructured.Unstructured{}
		require.NoError(t, yaml.Unmarshal([]byte(doc), &obj.Object))
		gvr := resourceOf(obj)
		_, err := client.Resource(gvr).Create(ctx, obj, metav1.CreateOptions{})
		require.NoError(t, err, obj.GetName())
	}

	for _, gvr := range []schema.GroupVersionResource{
		{Version: "v1", Resource: "configmaps"},
		{Group: "example.com", Version: "v1", Resource: "gadgets"},
		{Group: "provider.example", Version: "v1", Resource: "things"},
	} {
		kind := map[string]string{"configmaps": "ConfigMap", "gadgets": "Gadget", "things": "Thing"}[gvr.Resource]
		create := func(name string) error {
			obj := &unstructured.Unstructured{Object: map[string]interface{}{"apiVersion": gvr.GroupVersion().String(), "kind": kind,
				"metadata": map[string]interface{}{"name": name}}}
			_, err := client.Resource(gvr).Namespace("default").Create(ctx, obj, metav1.CreateOptions{})
			return err
		}
		// The CRD and the binding are served once established and bound.
		require.Eventually(t, func() bool { return create("allowed") == nil }, 30*time.Second, 200*time.Millisecond, gvr.Resource)
		assert.True(t, rec.saw(gvr.GroupResource().String()), "the plugin was asked about %s", gvr.Resource)
		err := create("refused")
		require.Error(t, err, gvr.Resource)
		assert.Contains(t, err.Error(), "refused by the test plugin", gvr.Resource)
		_, err = client.Resource(gvr).Namespace("default").Get(ctx, "refused", metav1.GetOptions{})
		assert.True(t, err != nil, "a refused %s is not stored", gvr.Resource)
	}
}

// resourceOf maps the fixtures' kinds to their resources.
func resourceOf(obj *unstructured.Unstructured) schema.GroupVersionResource {
	gv, _ := schema.ParseGroupVersion(obj.GetAPIVersion())
	return gv.WithResource(strings.ToLower(obj.GetKind()) + "s")
}
