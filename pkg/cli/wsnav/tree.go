package wsnav

import (
	"context"
	"fmt"
	"io"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
	"github.com/gantry-dev/gantry/sdk/generated/clientset/versioned"
)

// ClientFor returns a client of Gantry's APIs in workspace ws.
type ClientFor func(ws logicalcluster.Path) (versioned.Interface, error)

// Tree prints the workspaces below root that the user may list, as a tree.
func Tree(ctx context.Context, clientFor ClientFor, root logicalcluster.Path, out io.Writer) error {
	fmt.Fprintln(out, root)
	return tree(ctx, clientFor, root, "", out)
}

func tree(ctx context.Context, clientFor ClientFor, ws logicalcluster.Path, indent string, out io.Writer) error {
	client, err := clientFor(ws)
	if err != nil {
		return err
	}
	list, err := client.TenancyV1alpha1().Workspaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		if apierrors.IsForbidden(err) {
			return nil // a subtree the user may not list is simply not shown
		}
		return fmt.Errorf("listing the workspaces of %q: %w", ws, err)
	}
	names := make([]string, 0, len(list.Items))
	for _, item := range list.Items {
		names = append(names, item.Name)
	}
	sort.Strings(names)
	for i, name := range names {
		branch, next := "├── ", "│   "
		if i == len(names)-1 {
			branch, next = "└── ", "    "
		}
		fmt.Fprintf(out, "%s%s%s\n", indent, branch, name)
		if err := tree(ctx, clientFor, ws.Join(name), indent+next, out); err != nil {
			return err
		}
	}
	return nil
}
