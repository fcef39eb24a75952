package register

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	syncerconfig "github.com/gantry-dev/gantry/config/syncer"
)

// Manifests are the values the syncer's kustomize base is rendered with.
type Manifests struct {
	// Name is the SyncTarget's name; every object is named gantry-syncer-<Name>.
	Name string
	// TargetPath is the compute workspace's path, for --sync-target.
	TargetPath string
	// Namespace is the downstream namespace the syncer runs in.
	Namespace string
	// Image is the syncer's container image.
	Image string
	// Kubeconfig is the upstream kubeconfig the syncer reaches Gantry with.
	Kubeconfig []byte
	// ExtraGroups are API groups of synced resources the syncer may write downstream, besides the core group.
	ExtraGroups []string
}

// baseName is the name every object of the base carries before rendering.
const baseName = "gantry-syncer"

// Render returns the base's objects for m as one multi-document YAML, in the kustomization's order.
func Render(m Manifests) ([]byte, error) {
	objects, err := baseObjects()
	if err != nil {
		return nil, err
	}
	name := baseName + "-" + m.Name
	var out bytes.Buffer
	for _, obj := range objects {
		if err := customize(obj, m, name); err != nil {
			return nil, fmt.Errorf("%s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		data, err := yaml.Marshal(obj.Object)
		if err != nil {
			return nil, err
		}
		out.WriteString("---\n")
		out.Write(data)
	}
	return out.Bytes(), nil
}

// baseObjects reads the kustomization's resources, in order.
func baseObjects() ([]*unstructured.Unstructured, error) {
	var k struct {
		Resources []string `json:"resources"`
	}
	data, err := fs.ReadFile(syncerconfig.Files, "kustomization.yaml")
	if err != nil {
		return nil, err
	}
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, file := range k.Resources {
		data, err := fs.ReadFile(syncerconfig.Files, path.Clean(file))
		if err != nil {
			return nil, err
		}
		decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			obj := &unstructured.Unstructured{}
			if err := decoder.Decode(&obj.Object); err == io.EOF {
				break
			} else if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			if len(obj.Object) > 0 {
				out = append(out, obj)
			}
		}
	}
	return out, nil
}

// customize fills one base object in for m: names, namespace, and each kind's own values.
func customize(obj *unstructured.Unstructured, m Manifests, name string) error {
	switch obj.GetKind() {
	case "Namespace":
		obj.SetName(m.Namespace)
		return nil
	case "ClusterRole":
		obj.SetName(name)
		return addGroups(obj, m.ExtraGroups)
	case "ClusterRoleBinding":
		obj.SetName(name)
		if err := unstructured.SetNestedField(obj.Object, name, "roleRef", "name"); err != nil {
			return err
		}
		return unstructured.SetNestedSlice(obj.Object, []interface{}{map[string]interface{}{
			"kind": "ServiceAccount", "name": name, "namespace": m.Namespace}}, "subjects")
	}
	obj.SetName(name)
	obj.SetNamespace(m.Namespace)
	switch obj.GetKind() {
	case "Role":
		return ownSecretOnly(obj, name)
	case "RoleBinding":
		if err := unstructured.SetNestedField(obj.Object, name, "roleRef", "name"); err != nil {
			return err
		}
		return unstructured.SetNestedSlice(obj.Object, []interface{}{map[string]interface{}{
			"kind": "ServiceAccount", "name": name, "namespace": m.Namespace}}, "subjects")
	case "Secret":
		return unstructured.SetNestedField(obj.Object, string(m.Kubeconfig), "stringData", "kubeconfig")
	case "Deployment":
		return customizeDeployment(obj, m, name)
	}
	return nil
}

// customizeDeployment sets the syncer's image, target, ServiceAccount and kubeconfig Secret (mounted, and named in
// --token-secret).
func customizeDeployment(obj *unstructured.Unstructured, m Manifests, name string) error {
	spec := []string{"spec", "template", "spec"}
	if err := unstructured.SetNestedField(obj.Object, name, append(spec, "serviceAccountName")...); err != nil {
		return err
	}
	volumes, _, _ := unstructured.NestedSlice(obj.Object, append(spec, "volumes")...)
	for _, v := range volumes {
		if secret, ok := v.(map[string]interface{})["secret"].(map[string]interface{}); ok {
			secret["secretName"] = name
		}
	}
	if err := unstructured.SetNestedSlice(obj.Object, volumes, append(spec, "volumes")...); err != nil {
		return err
	}
	containers, _, _ := unstructured.NestedSlice(obj.Object, append(spec, "containers")...)
	if len(containers) != 1 {
		return fmt.Errorf("the base's Deployment must have one container, has %d", len(containers))
	}
	c := containers[0].(map[string]interface{})
	c["image"] = m.Image
	args, _ := c["args"].([]interface{})
	for i, a := range args {
		s, _ := a.(string)
		switch {
		case strings.HasPrefix(s, "--sync-target="):
			args[i] = "--sync-target=" + m.TargetPath + "/" + m.Name
		case strings.HasPrefix(s, "--token-secret="):
			args[i] = "--token-secret=" + m.Namespace + "/" + name
		}
	}
	return unstructured.SetNestedSlice(obj.Object, containers, append(spec, "containers")...)
}

// ownSecretOnly points every rule of the Role at the syncer's own Secret, name.
func ownSecretOnly(obj *unstructured.Unstructured, name string) error {
	rules, _, _ := unstructured.NestedSlice(obj.Object, "rules")
	for _, r := range rules {
		r.(map[string]interface{})["resourceNames"] = []interface{}{name}
	}
	return unstructured.SetNestedSlice(obj.Object, rules, "rules")
}

// addGroups lets the ClusterRole write every resource of the given groups.
func addGroups(obj *unstructured.Unstructured, groups []string) error {
	if len(groups) == 0 {
		return nil
	}
	rules, _, _ := unstructured.NestedSlice(obj.Object, "rules")
	list := make([]interface{}, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	rules = append(rules, map[string]interface{}{"apiGroups": list, "resources": []interface{}{"*"},
		"verbs": []interface{}{"get", "list", "watch", "create", "update", "patch", "delete"}})
	return unstructured.SetNestedSlice(obj.Object, rules, "rules")
}
