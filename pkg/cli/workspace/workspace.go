package workspace

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

var workspacesGVR = schema.GroupVersionResource{Group: "tenancy.gantry.dev", Version: "v1alpha1", Resource: "workspaces"}

// Resolve turns what a user typed after `kubectl ws` into a workspace path: ":root:a" is absolute, ".." is the
// parent, "root" or "root:…" is absolute, anything else is relative to current ("a:b" is current:a:b).
func Resolve(current logicalcluster.Path, arg string) (logicalcluster.Path, error) {
	switch {
	case arg == "..":
		parent, ok := current.Parent()
		if !ok {
			return "", fmt.Errorf("workspace %q has no parent", current)
		}
		return parent, nil
	case strings.HasPrefix(arg, ":"):
		return logicalcluster.ParsePath(arg[1:])
	case arg == string(logicalcluster.RootPath) || strings.HasPrefix(arg, string(logicalcluster.RootPath)+":"):
		return logicalcluster.ParsePath(arg)
	}
	target := string(current)
	for _, seg := range strings.Split(arg, ":") {
		if seg == ".." {
			parent, ok := logicalcluster.Path(target).Parent()
			if !ok {
				return "", fmt.Errorf("%q goes above the root workspace", arg)
			}
			target = string(parent)
			continue
		}
		target += ":" + seg
	}
	return logicalcluster.ParsePath(target)
}

// CheckReachable returns an error naming the workspace and the fix unless the user can enter it.
func CheckReachable(ctx context.Context, c *Config, ws logicalcluster.Path) error {
	cfg, err := c.RESTConfig(ws)
	if err != nil {
		return err
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+"/api", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach workspace %q: %w", ws, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	switch resp.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized:
		return fmt.Errorf("the server did not accept your credentials for workspace %q: check the user of your kubeconfig context", ws)
	default:
		// A workspace that does not exist and one the user may not enter answer alike, by design.
		return fmt.Errorf("workspace %q does not exist or you have no access to it: ask its owner for a binding there, or check the path with `kubectl ws tree`", ws)
	}
}

// Create creates workspace name in parent and waits until it is Ready. It returns whether it already existed.
func Create(ctx context.Context, c *Config, parent logicalcluster.Path, name, wsType string, ignoreExisting bool, timeout time.Duration, out io.Writer) (bool, error) {
	if err := logicalcluster.ValidateWorkspaceName(name); err != nil {
		return false, err
	}
	cfg, err := c.RESTConfig(parent)
	if err != nil {
		return false, err
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return false, err
	}
	ws := &unstructured.Unstructured{Object: map[string]interface{}{
		"apiVersion": "tenancy.gantry.dev/v1alpha1", "kind": "Workspace",
		"metadata": map[string]interface{}{"name": name},
	}}
	if wsType != "" {
		_ = unstructured.SetNestedField(ws.Object, wsType, "spec", "type")
	}
	existed := false
	if _, err := client.Resource(workspacesGVR).Create(ctx, ws, metav1.CreateOptions{}); err != nil {
		if !apierrors.IsAlreadyExists(err) || !ignoreExisting {
			if apierrors.IsAlreadyExists(err) {
				return false, fmt.Errorf("workspace %q already exists in %q: use --ignore-existing to accept it", name, parent)
			}
			return false, fmt.Errorf("creating workspace %q in %q: %w", name, parent, err)
		}
		existed = true
		fmt.Fprintf(out, "Workspace %q already exists in %q.\n", name, parent)
	} else {
		fmt.Fprintf(out, "Workspace %q created in %q. Waiting for it to be ready...\n", name, parent)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		got, err := client.Resource(workspacesGVR).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		phase, _, _ := unstructured.NestedString(got.Object, "status", "phase")
		return phase == "Ready", nil
	})
	if err != nil {
		return existed, fmt.Errorf("workspace %q in %q did not become Ready within %s", name, parent, timeout)
	}
	fmt.Fprintf(out, "Workspace %q is ready to use.\n", parent.Join(name))
	return existed, nil
}

// Tree prints the workspaces below root that the user may list, as a tree.
func Tree(ctx context.Context, c *Config, root logicalcluster.Path, out io.Writer) error {
	fmt.Fprintln(out, root)
	return tree(ctx, c, root, "", out)
}

func tree(ctx context.Context, c *Config, ws logicalcluster.Path, indent string, out io.Writer) error {
	cfg, err := c.RESTConfig(ws)
	if err != nil {
		return err
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	list, err := client.Resource(workspacesGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		if apierrors.IsForbidden(err) {
			return nil // a subtree the user may not list is simply not shown
		}
		return fmt.Errorf("listing the workspaces of %q: %w", ws, err)
	}
	names := make([]string, 0, len(list.Items))
	for _, item := range list.Items {
		names = append(names, item.GetName())
	}
	sort.Strings(names)
	for i, name := range names {
		branch, next := "├── ", "│   "
		if i == len(names)-1 {
			branch, next = "└── ", "    "
		}
		fmt.Fprintf(out, "%s%s%s\n", indent, branch, name)
		if err := tree(ctx, c, ws.Join(name), indent+next, out); err != nil {
			return err
		}
	}
	return nil
}
