package apiimport

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/apischema"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// Import builds an APIResourceSchema of each resource ("<plural>.<group>") from the downstream cluster's
// discovery and OpenAPI, creates those that do not exist yet, and makes the APIExport export offer them (keeping
// what else it offers). It returns the schemas' names.
func Import(ctx context.Context, downstream discovery.DiscoveryInterface, gantry versioned.Interface, export string, resources []string, progress io.Writer) ([]string, error) {
	var names []string
	for _, gr := range resources {
		s, err := Schema(downstream, gr)
		if err != nil {
			return nil, err
		}
		_, err = gantry.ApisV1alpha1().APIResourceSchemas().Create(ctx, s, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating APIResourceSchema %s: %w", s.Name, err)
		}
		fmt.Fprintf(progress, "apiresourceschema/%s of %s\n", s.Name, gr)
		names = append(names, s.Name)
	}
	if err := offer(ctx, gantry, export, names); err != nil {
		return nil, err
	}
	fmt.Fprintf(progress, "apiexport/%s offers %s\n", export, strings.Join(resources, ", "))
	return names, nil
}

// Schema returns the APIResourceSchema of the downstream resource "<plural>.<group>" at its preferred version,
// named "<hash of its spec>.<plural>.<group>" so that a changed schema is a new one.
func Schema(downstream discovery.DiscoveryInterface, groupResource string) (*apisv1alpha1.APIResourceSchema, error) {
	gr := schema.ParseGroupResource(groupResource)
	r, err := describe(downstream, gr)
	if err != nil {
		return nil, err
	}
	doc, err := openAPI(downstream, r.GroupVersionKind.GroupVersion())
	if err != nil {
		return nil, err
	}
	crd, err := apischema.CRDFromOpenAPI(doc, r)
	if err != nil {
		return nil, err
	}
	spec, err := json.Marshal(crd.Spec)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(spec)
	s := apischema.FromCRD(crd, "k"+hex.EncodeToString(sum[:5]))
	if errs := apischema.Validate(context.Background(), s); len(errs) > 0 {
		return nil, fmt.Errorf("%s does not make a valid APIResourceSchema: %v", groupResource, errs.ToAggregate())
	}
	return s, nil
}

// describe finds a resource in the downstream cluster's discovery, at its group's preferred version.
func describe(downstream discovery.DiscoveryInterface, gr schema.GroupResource) (apischema.Resource, error) {
	groups, err := downstream.ServerGroups()
	if err != nil {
		return apischema.Resource{}, fmt.Errorf("reading the downstream cluster's API groups: %w", err)
	}
	for _, g := range groups.Groups {
		if g.Name != gr.Group {
			continue
		}
		list, err := downstream.ServerResourcesForGroupVersion(g.PreferredVersion.GroupVersion)
		if err != nil {
			return apischema.Resource{}, err
		}
		return fromDiscovery(list.APIResources, g.PreferredVersion.GroupVersion, gr)
	}
	return apischema.Resource{}, fmt.Errorf("the downstream cluster serves no API group %q", gr.Group)
}

// fromDiscovery describes gr from one group version's discovery list.
func fromDiscovery(resources []metav1.APIResource, groupVersion string, gr schema.GroupResource) (apischema.Resource, error) {
	gv, err := schema.ParseGroupVersion(groupVersion)
	if err != nil {
		return apischema.Resource{}, err
	}
	var r *apischema.Resource
	subresources := map[string]bool{}
	for _, res := range resources {
		if res.Name == gr.Resource {
			r = &apischema.Resource{GroupVersionKind: gv.WithKind(res.Kind), Plural: res.Name, Singular: res.SingularName,
				ShortNames: res.ShortNames, Namespaced: res.Namespaced}
		}
		if parent, sub, ok := strings.Cut(res.Name, "/"); ok && parent == gr.Resource {
			subresources[sub] = true
		}
	}
	if r == nil {
		return apischema.Resource{}, fmt.Errorf("the downstream cluster serves no resource %q in %s", gr.Resource, groupVersion)
	}
	if r.Singular == "" {
		r.Singular = strings.ToLower(r.GroupVersionKind.Kind)
	}
	r.Status, r.Scale = subresources["status"], subresources["scale"]
	return *r, nil
}

// openAPI returns the downstream cluster's OpenAPI v3 document of a group version.
func openAPI(downstream discovery.DiscoveryInterface, gv schema.GroupVersion) ([]byte, error) {
	paths, err := downstream.OpenAPIV3().Paths()
	if err != nil {
		return nil, fmt.Errorf("reading the downstream cluster's OpenAPI: %w", err)
	}
	key := "apis/" + gv.Group + "/" + gv.Version
	if gv.Group == "" {
		key = "api/" + gv.Version
	}
	gvPath, ok := paths[key]
	if !ok {
		return nil, fmt.Errorf("the downstream cluster publishes no OpenAPI v3 of %s", gv)
	}
	return gvPath.Schema("application/json")
}

// offer makes the export list names, replacing what it offered of the same resources; it creates the export
// when there is none.
func offer(ctx context.Context, gantry versioned.Interface, export string, names []string) error {
	exports := gantry.ApisV1alpha1().APIExports()
	existing, err := exports.Get(ctx, export, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = exports.Create(ctx, &apisv1alpha1.APIExport{ObjectMeta: metav1.ObjectMeta{Name: export},
			Spec: apisv1alpha1.APIExportSpec{LatestResourceSchemas: names}}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	existing.Spec.LatestResourceSchemas = merge(existing.Spec.LatestResourceSchemas, names)
	_, err = exports.Update(ctx, existing, metav1.UpdateOptions{})
	return err
}

// merge returns offered with each of names in place of the entry of the same resource, or added.
func merge(offered, names []string) []string {
	resourceOf := func(name string) string { _, r, _ := strings.Cut(name, "."); return r }
	replaced := map[string]string{}
	for _, n := range names {
		replaced[resourceOf(n)] = n
	}
	var out []string
	for _, o := range offered {
		if _, ok := replaced[resourceOf(o)]; !ok {
			out = append(out, o)
		}
	}
	return append(out, names...)
}
