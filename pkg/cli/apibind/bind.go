// Package apibind owns `kubectl gantry bind`: it binds an APIExport into the current workspace with an APIBinding
// and waits until the binding is bound.
package apibind

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
	apisclient "github.com/gantry-dev/gantry/sdk/generated/clientset/versioned/typed/apis/v1alpha1"
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
// talks to, waits until it is Bound and returns it. A naming conflict fails at once, with the server's
// explanation. It tells its progress on out.
func Bind(ctx context.Context, client versioned.Interface, ref, name string, timeout time.Duration, out io.Writer) (*apisv1alpha1.APIBinding, error) {
	path, export, err := ParseExportReference(ref)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = export
	}
	binding := &apisv1alpha1.APIBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: apisv1alpha1.APIBindingSpec{Reference: apisv1alpha1.BindingReference{Export: &apisv1alpha1.ExportBindingReference{Path: path, Name: export}}}}
	bindings := client.ApisV1alpha1().APIBindings()
	if _, err := bindings.Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("an APIBinding %q exists already: choose another with --name", name)
		}
		return nil, fmt.Errorf("binding %s: %w", ref, err)
	}
	fmt.Fprintf(out, "apibinding.apis.gantry.dev/%s created, waiting for it to be bound\n", name)
	bound, err := waitBound(ctx, bindings, name, timeout)
	if err != nil {
		return nil, err
	}
	var resources []string
	for _, r := range bound.Status.BoundResources {
		resources = append(resources, r.Resource+"."+r.Group)
	}
	fmt.Fprintf(out, "apibinding.apis.gantry.dev/%s bound: %s\n", name, strings.Join(resources, ", "))
	return bound, nil
}

// waitBound waits until the APIBinding name is Bound, and fails at once when its names conflict.
func waitBound(ctx context.Context, bindings apisclient.APIBindingInterface, name string, timeout time.Duration) (*apisv1alpha1.APIBinding, error) {
	var last *apisv1alpha1.APIBinding
	var conflict error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
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
		return nil, conflict
	}
	if err != nil {
		why := "no status yet"
		if last != nil {
			if c := meta.FindStatusCondition(last.Status.Conditions, apisv1alpha1.APIBindingReady); c != nil {
				why = c.Message
			}
		}
		return nil, fmt.Errorf("APIBinding %q was not bound within %s: %s", name, timeout, why)
	}
	return last, nil
}
