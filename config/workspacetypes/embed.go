// Package workspacetypes holds the built-in WorkspaceTypes (root, organization, team, universal and ml-team) as YAML, one
// file per type, embedded in the binary. Package workspacetype serves them in every workspace.
package workspacetypes

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"sigs.k8s.io/yaml"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
)

// Files are the built-in WorkspaceTypes, one <name>.yaml file each.
//
//go:embed *.yaml
var Files embed.FS

// Load decodes every embedded WorkspaceType, strictly, and returns their specs by name. A file must hold one
// WorkspaceType of tenancy.gantry.dev/v1alpha1 named after the file.
func Load() (map[string]tenancyv1alpha1.WorkspaceTypeSpec, error) {
	names, err := fs.Glob(Files, "*.yaml")
	if err != nil {
		return nil, err
	}
	specs := make(map[string]tenancyv1alpha1.WorkspaceTypeSpec, len(names))
	for _, file := range names {
		data, err := Files.ReadFile(file)
		if err != nil {
			return nil, err
		}
		t, err := decode(file, data)
		if err != nil {
			return nil, fmt.Errorf("config/workspacetypes/%s: %w", file, err)
		}
		specs[t.Name] = t.Spec
	}
	return specs, nil
}

// decode decodes the data of one file and checks its kind and name.
func decode(file string, data []byte) (*tenancyv1alpha1.WorkspaceType, error) {
	var t tenancyv1alpha1.WorkspaceType
	if err := yaml.UnmarshalStrict(data, &t); err != nil {
		return nil, err
	}
	if gv := tenancyv1alpha1.SchemeGroupVersion.String(); t.APIVersion != gv || t.Kind != "WorkspaceType" {
		return nil, fmt.Errorf("want a WorkspaceType of %s, got kind %q of %q", gv, t.Kind, t.APIVersion)
	}
	if want := strings.TrimSuffix(path.Base(file), ".yaml"); t.Name != want {
		return nil, fmt.Errorf("metadata.name is %q, want %q (the file's name)", t.Name, want)
	}
	return &t, nil
}
