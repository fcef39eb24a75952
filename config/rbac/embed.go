// Package rbac holds Gantry's standard ClusterRoles (cluster-admin, admin, edit, view, system:discovery,
// system:basic-user, system:workspace-access) as YAML embedded in the binary, and parses them once.
//
// Every workspace can bind these roles by name without storing them (pkg/authorization evaluates them). A role
// annotated with ServedExceptAnnotation has rules that YAML cannot express as written ("every group but RBAC");
// clusterroles.yaml explains how Go evaluates them.
package rbac

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// ServedExceptAnnotation on a standard ClusterRole says that its rules whose apiGroups is ["*"] reach only the
// resources a workspace serves, less the comma-separated "<resource>.<group>" values it lists ("secrets",
// "*.rbac.authorization.k8s.io").
const ServedExceptAnnotation = "rbac.gantry.dev/served-except"

//go:embed clusterroles.yaml
var clusterRolesYAML []byte

// clusterRoles are parsed once; ClusterRoles hands out copies.
var clusterRoles = mustParse(clusterRolesYAML)

// ClusterRoles returns a copy of the standard ClusterRoles, in the order of clusterroles.yaml.
func ClusterRoles() []rbacv1.ClusterRole {
	out := make([]rbacv1.ClusterRole, len(clusterRoles))
	for i := range clusterRoles {
		clusterRoles[i].DeepCopyInto(&out[i])
	}
	return out
}

// ServedExcept returns what a role's ServedExceptAnnotation leaves out, and whether the role carries it.
func ServedExcept(role *rbacv1.ClusterRole) ([]schema.GroupResource, bool) {
	value, ok := role.Annotations[ServedExceptAnnotation]
	if !ok {
		return nil, false
	}
	var out []schema.GroupResource
	for _, item := range strings.Split(value, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, schema.ParseGroupResource(item))
		}
	}
	return out, true
}

func mustParse(data []byte) []rbacv1.ClusterRole {
	roles, err := parse(data)
	if err != nil {
		panic(fmt.Sprintf("config/rbac: %v", err))
	}
	return roles
}

// parse reads a multi-document YAML stream of ClusterRoles; empty documents (comments only) are skipped.
func parse(data []byte) ([]rbacv1.ClusterRole, error) {
	decoder := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []rbacv1.ClusterRole
	for {
		var role rbacv1.ClusterRole
		err := decoder.Decode(&role)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if role.Name == "" {
			continue
		}
		if role.Kind != "ClusterRole" {
			return nil, fmt.Errorf("%q is a %q, not a ClusterRole", role.Name, role.Kind)
		}
		out = append(out, role)
	}
}
