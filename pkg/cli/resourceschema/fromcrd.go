// Package resourceschema owns `kubectl gantry schema`: it turns a CustomResourceDefinition into the
// APIResourceSchema a provider exports.
package resourceschema

import (
	"context"
	"fmt"
	"io"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/gantry-dev/gantry/pkg/apischema"
)

// SchemaFromCRD reads a CustomResourceDefinition (YAML or JSON) and writes the APIResourceSchema
// "<prefix>.<plural>.<group>" as YAML.
func SchemaFromCRD(in io.Reader, prefix string, out io.Writer) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(data, crd); err != nil {
		return fmt.Errorf("not a CustomResourceDefinition: %w", err)
	}
	if crd.Kind != "CustomResourceDefinition" || crd.Spec.Group == "" || crd.Spec.Names.Plural == "" {
		return fmt.Errorf("not a CustomResourceDefinition (kind %q, group %q, plural %q)", crd.Kind, crd.Spec.Group, crd.Spec.Names.Plural)
	}
	schema := apischema.FromCRD(crd, prefix)
	if errs := apischema.Validate(context.Background(), schema); len(errs) > 0 {
		return fmt.Errorf("the CRD does not make a valid APIResourceSchema: %v", errs.ToAggregate())
	}
	body, err := yaml.Marshal(schema)
	if err != nil {
		return err
	}
	_, err = out.Write(body)
	return err
}
