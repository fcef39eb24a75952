package registry

import (
	"strings"

	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apiserver/pkg/registry/rest"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
)

// columns are the kind-specific printer columns kubectl shows between NAME and AGE.
type columns struct {
	defs  []metav1.TableColumnDefinition
	cells func(obj runtime.Object) []interface{}
}

// tableConvertor prints NAME, the kind's columns, and AGE, as kubectl users know from Kubernetes.
type tableConvertor struct{ columns }

var _ rest.TableConvertor = tableConvertor{}

// ConvertToTable implements rest.TableConvertor. The column definitions are left out when the options say
// noHeaders, as kube-apiserver's printers do: a watch in Table form asks for them with its first event only.
func (c tableConvertor) ConvertToTable(_ context.Context, obj runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || opts == nil || !opts.NoHeaders {
		table.ColumnDefinitions = append(append(
			[]metav1.TableColumnDefinition{{Name: "Name", Type: "string", Format: "name", Description: "Name of the object"}},
			c.defs...), metav1.TableColumnDefinition{Name: "Age", Type: "string", Description: "Time since creation"})
	}
	items := []runtime.Object{obj}
	if meta.IsListType(obj) {
		var err error
		if items, err = meta.ExtractList(obj); err != nil {
			return nil, err
		}
		list, err := meta.ListAccessor(obj)
		if err != nil {
			return nil, err
		}
		table.ResourceVersion, table.Continue, table.RemainingItemCount = list.GetResourceVersion(), list.GetContinue(), list.GetRemainingItemCount()
	}
	for _, item := range items {
		m, err := meta.Accessor(item)
		if err != nil {
			return nil, err
		}
		cells := append([]interface{}{m.GetName()}, c.cells(item)...)
		cells = append(cells, age(m.GetCreationTimestamp()))
		table.Rows = append(table.Rows, metav1.TableRow{Cells: cells, Object: runtime.RawExtension{Object: item}})
	}
	return table, nil
}

func age(ts metav1.Time) string {
	if ts.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(ts.Time))
}

func column(name, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: "string", Description: description}
}

func intColumn(name, description string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: "integer", Description: description}
}

// printers are the columns of the kinds that have more to show than a name and an age.
var printers = map[string]columns{
	"ValidatingAdmissionPolicy": {[]metav1.TableColumnDefinition{intColumn("Validations", "Number of validations"),
		column("ParamKind", "Kind of the parameters")}, policyColumns},
	"ValidatingAdmissionPolicyBinding": {[]metav1.TableColumnDefinition{column("PolicyName", "The bound policy"),
		column("ParamRef", "The parameters of the binding")}, bindingColumns},
	"ValidatingWebhookConfiguration": {[]metav1.TableColumnDefinition{intColumn("Webhooks", "Number of webhooks")}, webhookCount},
	"MutatingWebhookConfiguration":   {[]metav1.TableColumnDefinition{intColumn("Webhooks", "Number of webhooks")}, webhookCount},
	"Namespace": {[]metav1.TableColumnDefinition{column("Status", "Phase of the namespace")}, func(o runtime.Object) []interface{} {
		return []interface{}{string(o.(*corev1.Namespace).Status.Phase)}
	}},
	"ConfigMap": {[]metav1.TableColumnDefinition{intColumn("Data", "Number of keys")}, func(o runtime.Object) []interface{} {
		cm := o.(*corev1.ConfigMap)
		return []interface{}{int64(len(cm.Data) + len(cm.BinaryData))}
	}},
	"Secret": {[]metav1.TableColumnDefinition{column("Type", "Type of the secret"), intColumn("Data", "Number of keys")}, func(o runtime.Object) []interface{} {
		s := o.(*corev1.Secret)
		return []interface{}{string(s.Type), int64(len(s.Data))}
	}},
	"RoleBinding": {[]metav1.TableColumnDefinition{column("Role", "Role the binding grants")}, func(o runtime.Object) []interface{} {
		ref := o.(*rbacv1.RoleBinding).RoleRef
		return []interface{}{ref.Kind + "/" + ref.Name}
	}},
	"ClusterRoleBinding": {[]metav1.TableColumnDefinition{column("Role", "Role the binding grants")}, func(o runtime.Object) []interface{} {
		ref := o.(*rbacv1.ClusterRoleBinding).RoleRef
		return []interface{}{ref.Kind + "/" + ref.Name}
	}},
	"Workspace": {[]metav1.TableColumnDefinition{
		column("Type", "WorkspaceType of the workspace"), column("Phase", "Lifecycle phase"), column("URL", "Address of the workspace"),
	}, func(o runtime.Object) []interface{} {
		ws := o.(*tenancyv1alpha1.Workspace)
		return []interface{}{ws.Spec.Type, string(ws.Status.Phase), ws.Status.URL}
	}},
	"WorkspaceType": {[]metav1.TableColumnDefinition{
		column("Default Child", "Type of a child workspace that names none"), column("Allowed Children", "Types a child workspace may have"),
	}, func(o runtime.Object) []interface{} {
		spec := o.(*tenancyv1alpha1.WorkspaceType).Spec
		allowed := strings.Join(spec.AllowedChildTypes, ",")
		switch {
		case spec.NoChildren:
			allowed = "<none>"
		case allowed == "":
			allowed = "*"
		}
		return []interface{}{spec.DefaultChildType, allowed}
	}},
	"SyncTarget": {[]metav1.TableColumnDefinition{column("Ready", "Whether the syncer heartbeats; SchedulingDisabled when unschedulable"),
		column("GPUs", "GPUs free/allocatable"), column("Heartbeat", "Time since the last heartbeat")}, syncTargetColumns},
	"Placement": {[]metav1.TableColumnDefinition{column("Location", "Workspace of the candidate SyncTargets"),
		column("Target", "The chosen SyncTargets, path:name, comma-separated"), column("Phase", "Pending, Bound or Unschedulable")}, placementColumns},
	"APIResourceSchema": {[]metav1.TableColumnDefinition{column("Group", "API group"), column("Resource", "Plural resource name"),
		column("Scope", "Namespaced or Cluster")}, func(o runtime.Object) []interface{} {
		spec := o.(*apisv1alpha1.APIResourceSchema).Spec
		return []interface{}{spec.Group, spec.Names.Plural, string(spec.Scope)}
	}},
	"APIExport": {[]metav1.TableColumnDefinition{column("Schemas", "Exported APIResourceSchemas"),
		column("Identity", "Identity hash, in short")}, func(o runtime.Object) []interface{} {
		e := o.(*apisv1alpha1.APIExport)
		hash := e.Status.IdentityHash
		if len(hash) > 12 {
			hash = hash[:12]
		}
		return []interface{}{strings.Join(e.Spec.LatestResourceSchemas, ","), hash}
	}},
	"APIBinding": {[]metav1.TableColumnDefinition{column("Export", "The bound APIExport, path:name"),
		column("Phase", "Binding or Bound")}, func(o runtime.Object) []interface{} {
		b := o.(*apisv1alpha1.APIBinding)
		export := ""
		if ref := b.Spec.Reference.Export; ref != nil {
			export = ref.Name
			if ref.Path != "" {
				export = ref.Path + ":" + ref.Name
			}
		}
		return []interface{}{export, string(b.Status.Phase)}
	}},
}

// tableFor returns the table convertor of a kind: its printer if it has one, else NAME and AGE.
func tableFor(kind string) rest.TableConvertor {
	if p, ok := printers[kind]; ok {
		return tableConvertor{p}
	}
	return tableConvertor{columns{cells: func(runtime.Object) []interface{} { return nil }}}
}
