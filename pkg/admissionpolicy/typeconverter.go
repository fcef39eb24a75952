package admissionpolicy

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/admission/plugin/policy/mutating/patch"
	"k8s.io/client-go/openapi"
	"k8s.io/kube-openapi/pkg/spec3"
)

// typeConverters gives the mutating dispatcher the structured-merge type of a kind as one workspace serves it (its
// built-ins, CRDs and bound resources), from that workspace's OpenAPI v3. Upstream's manager polls the OpenAPI
// paths in a goroutine; this one checks them on use, so that a workspace costs no goroutine: a group version's
// converter is kept until its path's hash changes (a CRD of the group changed).
type typeConverters struct {
	workspace workspace

	mu     sync.Mutex
	client openapi.Client
	byGV   map[schema.GroupVersion]cachedConverter
}

var _ patch.TypeConverterManager = &typeConverters{}

// cachedConverter is a group version's converter and the path (with its hash) it was built from.
type cachedConverter struct {
	url       string
	converter managedfields.TypeConverter
}

// Run implements patch.TypeConverterManager; there is nothing to refresh in the background.
func (t *typeConverters) Run(_ context.Context) {}

// GetTypeConverter implements patch.TypeConverterManager; nil when the workspace does not serve the group version.
func (t *typeConverters) GetTypeConverter(gvk schema.GroupVersionKind) managedfields.TypeConverter {
	converter, err := t.converter(gvk.GroupVersion())
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("type of %s in workspace %s: %w", gvk, t.workspace.cluster, err))
		return nil
	}
	return converter
}

func (t *typeConverters) converter(gv schema.GroupVersion) (managedfields.TypeConverter, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.client == nil {
		kube, err := t.workspace.clients.Kubernetes(string(t.workspace.cluster))
		if err != nil {
			return nil, err
		}
		t.client, t.byGV = kube.Discovery().OpenAPIV3(), map[schema.GroupVersion]cachedConverter{}
	}
	paths, err := t.client.Paths()
	if err != nil {
		return nil, err
	}
	key := "apis/" + gv.String()
	if gv.Group == "" {
		key = "api/" + gv.Version
	}
	path, ok := paths[key]
	if !ok {
		return nil, nil
	}
	url := path.ServerRelativeURL()
	if cached, ok := t.byGV[gv]; ok && cached.url == url {
		return cached.converter, nil
	}
	raw, err := path.Schema(runtime.ContentTypeJSON)
	if err != nil {
		return nil, err
	}
	var doc spec3.OpenAPI
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if doc.Components == nil {
		return nil, fmt.Errorf("OpenAPI of %s has no components", gv)
	}
	converter, err := managedfields.NewTypeConverter(doc.Components.Schemas, false)
	if err != nil {
		return nil, err
	}
	t.byGV[gv] = cachedConverter{url: url, converter: converter}
	return converter, nil
}
