// Package operator holds the kustomize base that runs gantry-serving, the serving operator, in a compute cluster,
// embedded so that tests and the CLI use the very same files.
package operator

import (
	"embed"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// Files are the base's files, kustomization.yaml included.
//
//go:embed *.yaml
var Files embed.FS

// resources are the files kustomization.yaml lists, in its order.
var resources = []string{"namespace.yaml", "serviceaccount.yaml", "rbac.yaml", "deployment.yaml"}

// Objects decodes the base's objects, in the order kustomization.yaml lists their files.
func Objects() ([]*unstructured.Unstructured, error) {
	var objects []*unstructured.Unstructured
	for _, file := range resources {
		data, err := Files.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for i, doc := range strings.Split(string(data), "\n---\n") {
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
				return nil, fmt.Errorf("config/serving/operator/%s document %d: %w", file, i, err)
			}
			if len(obj.Object) > 0 {
				objects = append(objects, obj)
			}
		}
	}
	return objects, nil
}
