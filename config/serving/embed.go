// Package serving holds the serving.gantry.dev API as Gantry publishes it, embedded in the binary: the
// CustomResourceDefinitions generated from apis/serving/v1alpha1 (crds/, written by `make codegen`; do not edit) and
// the built-in ServingRuntimes (runtimes/, one file per runtime). pkg/servingprovider publishes both in the provider
// workspace root:serving.
package serving

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
)

// Files are the generated CRDs (crds/*.yaml) and the built-in runtimes (runtimes/<name>.yaml).
//
//go:embed crds/*.yaml runtimes/*.yaml
var Files embed.FS

// CRDs decodes every embedded CRD, strictly, sorted by name.
func CRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var crds []*apiextensionsv1.CustomResourceDefinition
	err := each("crds", func(file string, data []byte) error {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(data, &crd); err != nil {
			return err
		}
		if gv := apiextensionsv1.SchemeGroupVersion.String(); crd.APIVersion != gv || crd.Kind != "CustomResourceDefinition" {
			return fmt.Errorf("want a CustomResourceDefinition of %s, got kind %q of %q", gv, crd.Kind, crd.APIVersion)
		}
		if crd.Spec.Group != servingv1alpha1.GroupName {
			return fmt.Errorf("group is %q, want %q", crd.Spec.Group, servingv1alpha1.GroupName)
		}
		crds = append(crds, &crd)
		return nil
	})
	sort.Slice(crds, func(i, j int) bool { return crds[i].Name < crds[j].Name })
	return crds, err
}

// Runtimes decodes every built-in ServingRuntime, strictly, sorted by name. A file must hold one ServingRuntime
// named after the file.
func Runtimes() ([]*servingv1alpha1.ServingRuntime, error) {
	var runtimes []*servingv1alpha1.ServingRuntime
	err := each("runtimes", func(file string, data []byte) error {
		var r servingv1alpha1.ServingRuntime
		if err := yaml.UnmarshalStrict(data, &r); err != nil {
			return err
		}
		if gv := servingv1alpha1.SchemeGroupVersion.String(); r.APIVersion != gv || r.Kind != "ServingRuntime" {
			return fmt.Errorf("want a ServingRuntime of %s, got kind %q of %q", gv, r.Kind, r.APIVersion)
		}
		if want := strings.TrimSuffix(path.Base(file), ".yaml"); r.Name != want {
			return fmt.Errorf("metadata.name is %q, want %q (the file's name)", r.Name, want)
		}
		runtimes = append(runtimes, &r)
		return nil
	})
	sort.Slice(runtimes, func(i, j int) bool { return runtimes[i].Name < runtimes[j].Name })
	return runtimes, err
}

// each calls decode with every YAML file of dir, naming the file in an error.
func each(dir string, decode func(file string, data []byte) error) error {
	names, err := fs.Glob(Files, dir+"/*.yaml")
	if err != nil {
		return err
	}
	for _, file := range names {
		data, err := Files.ReadFile(file)
		if err != nil {
			return err
		}
		if err := decode(file, data); err != nil {
			return fmt.Errorf("config/serving/%s: %w", file, err)
		}
	}
	return nil
}
