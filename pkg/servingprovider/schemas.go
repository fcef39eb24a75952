package servingprovider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	servingconfig "github.com/gantry-dev/gantry/config/serving"
	"github.com/gantry-dev/gantry/pkg/apischema"
)

// Schemas returns the APIResourceSchemas of the serving API, from the CRDs embedded in the binary, each named
// "<content prefix>.<plural>.serving.gantry.dev" (ContentPrefix), sorted by name.
func Schemas() ([]*apisv1alpha1.APIResourceSchema, error) {
	crds, err := servingconfig.CRDs()
	if err != nil {
		return nil, err
	}
	schemas := make([]*apisv1alpha1.APIResourceSchema, 0, len(crds))
	for _, crd := range crds {
		prefix, err := ContentPrefix(crd)
		if err != nil {
			return nil, err
		}
		schemas = append(schemas, apischema.FromCRD(crd, prefix))
	}
	slices.SortFunc(schemas, func(a, b *apisv1alpha1.APIResourceSchema) int { return strings.Compare(a.Name, b.Name) })
	return schemas, nil
}

// ContentPrefix names a schema by the content of its CRD's spec: "h" and the first 12 hex digits of the SHA-256 of
// the spec's JSON. Schemas are immutable, so a binary whose types changed must publish under a new name; naming by
// content makes that automatic, and lets an unchanged binary find its schemas again after a restart.
func ContentPrefix(crd *apiextensionsv1.CustomResourceDefinition) (string, error) {
	data, err := json.Marshal(crd.Spec) // encoding/json sorts map keys: the same spec gives the same bytes
	if err != nil {
		return "", fmt.Errorf("hashing the schema of %s: %w", crd.Name, err)
	}
	sum := sha256.Sum256(data)
	return "h" + hex.EncodeToString(sum[:6]), nil
}

// ensureSchemas creates the schemas of this binary in the provider workspace, unless they exist, and returns their
// names. A schema of the same name holds the same content: the name is the content's hash, and schemas are
// immutable.
func (c *Controller) ensureSchemas(ctx context.Context) ([]string, error) {
	schemas, err := Schemas()
	if err != nil {
		return nil, err
	}
	client, err := c.clients.Gantry(Path)
	if err != nil {
		return nil, err
	}
	api := client.ApisV1alpha1().APIResourceSchemas()
	names := make([]string, 0, len(schemas))
	for _, want := range schemas {
		names = append(names, want.Name)
		if _, err := api.Create(ctx, want, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("the schema %s: %w", want.Name, err)
		}
	}
	return names, nil
}
