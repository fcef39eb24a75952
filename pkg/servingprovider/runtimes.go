package servingprovider

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingconfig "github.com/gantry-dev/gantry/config/serving"
)

// ensureRuntimes creates the built-in ServingRuntimes in the provider workspace and puts back the spec and label
// of any that was edited.
func (c *Controller) ensureRuntimes(ctx context.Context) error {
	builtin, err := servingconfig.Runtimes()
	if err != nil {
		return err
	}
	client, err := c.clients.Gantry(Path)
	if err != nil {
		return err
	}
	runtimes := client.ServingV1alpha1().ServingRuntimes(RuntimesNamespace)
	for _, want := range builtin {
		want = want.DeepCopy()
		want.Namespace = RuntimesNamespace
		if want.Labels == nil {
			want.Labels = map[string]string{}
		}
		want.Labels[BuiltinLabel] = "true"
		got, err := runtimes.Get(ctx, want.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = runtimes.Create(ctx, want, metav1.CreateOptions{})
		} else if err == nil && (!equality.Semantic.DeepEqual(got.Spec, want.Spec) || got.Labels[BuiltinLabel] != "true") {
			got = got.DeepCopy()
			got.Spec = want.Spec
			if got.Labels == nil {
				got.Labels = map[string]string{}
			}
			got.Labels[BuiltinLabel] = "true"
			_, err = runtimes.Update(ctx, got, metav1.UpdateOptions{})
		}
		if err != nil {
			return fmt.Errorf("the built-in ServingRuntime %s: %w", want.Name, err)
		}
	}
	return nil
}
