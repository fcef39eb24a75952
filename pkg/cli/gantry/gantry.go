// Package gantry holds the logic of the `kubectl gantry` plugin: binding an APIExport into the current workspace
// and turning a CRD into an APIResourceSchema.
package gantry

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/yaml"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/apischema"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// ParseExportReference splits "<workspace path>:<export>" (or a bare "<export>" of the current workspace).
func ParseExportReference(ref string) (path, name string, err error) {
	i := strings.LastIndex(ref, ":")
	if i < 0 {
		return "", ref, nil
	}
	path, name = ref[:i], ref[i+1:]
	if _, err := logicalcluster.ParsePath(path); err != nil {
		return "", "", fmt.Errorf("%q is not <workspace path>:<export>: %v", ref, err)
	}
	if name == "" {
		return "", "", fmt.Errorf("%q names no export after the last ':'", ref)
	}
	return path, name, nil
}

// Bind creates an APIBinding named name (default: the export's name) of the export ref in the workspace client
// talks to, and waits until it is Bound. A naming conflict fails at once, with the server's explanation.
func Bind(ctx context.Context, client versioned.Interface, ref, name string, timeout time.Duration, out io.Writer) error {
	path, export, err := ParseExportReference(ref)
	if err != nil {
		return err
	}
	if name == "" {
		name = export
	}
	binding := &apisv1alpha1.APIBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: apisv1alpha1.APIBindingSpec{Reference: apisv1alpha1.BindingReference{Export: &apisv1alpha1.ExportBindingReference{Path: path, Name: export}}}}
	bindings := client.ApisV1alpha1().APIBindings()
	if _, err := bindings.Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("an APIBinding %q exists already: choose another with --name", name)
		}
		return fmt.Errorf("binding %s: %w", ref, err)
	}
	fmt.Fprintf(out, "apibinding.apis.gantry.dev/%s created, waiting for it to be bound\n", name)
	var last *apisv1alpha1.APIBinding
	var conflict error
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		b, err := bindings.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = b
		if c := meta.FindStatusCondition(b.Status.Conditions, apisv1alpha1.APIBindingNamesAccepted); c != nil && c.Status == metav1.ConditionFalse {
			conflict = fmt.Errorf("APIBinding %q cannot be applied: %s", name, c.Message)
			return true, nil
		}
		return b.Status.Phase == apisv1alpha1.APIBindingPhaseBound, nil
	})
	if conflict != nil {
		return conflict
	}
	if err != nil {
		why := "no status yet"
		if last != nil {
			if c := meta.FindStatusCondition(last.Status.Conditions, apisv1alpha1.APIBindingReady); c != nil {
				why = c.Message
			}
		}
		return fmt.Errorf("APIBinding %q was not bound within %s: %s", name, timeout, why)
	}
	var resources []string
	for _, r := range last.Status.BoundResources {
		resources = append(resources, r.Resource+"."+r.Group)
	}
	fmt.Fprintf(out, "apibinding.apis.gantry.dev/%s bound: %s\n", name, strings.Join(resources, ", "))
	return nil
}

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
