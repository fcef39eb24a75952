package registry

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/generic"
)

// eventFields are the fields core/v1 events are selected by, as Kubernetes has them: `kubectl describe` finds an
// object's events with involvedObject.kind, name, namespace and uid.
func eventFields(obj runtime.Object) (labels.Set, fields.Set, error) {
	ev, ok := obj.(*corev1.Event)
	if !ok {
		return nil, nil, fmt.Errorf("not an event: %T", obj)
	}
	source := ev.Source.Component
	if source == "" {
		source = ev.ReportingController
	}
	set := fields.Set{
		"involvedObject.kind":            ev.InvolvedObject.Kind,
		"involvedObject.namespace":       ev.InvolvedObject.Namespace,
		"involvedObject.name":            ev.InvolvedObject.Name,
		"involvedObject.uid":             string(ev.InvolvedObject.UID),
		"involvedObject.apiVersion":      ev.InvolvedObject.APIVersion,
		"involvedObject.resourceVersion": ev.InvolvedObject.ResourceVersion,
		"involvedObject.fieldPath":       ev.InvolvedObject.FieldPath,
		"reason":                         ev.Reason,
		"reportingComponent":             ev.ReportingController,
		"source":                         source,
		"type":                           ev.Type,
	}
	return labels.Set(ev.Labels), generic.AddObjectMetaFieldsSet(set, &ev.ObjectMeta, true), nil
}

// convertEventFieldLabel accepts the fields of eventFields in field selectors of core/v1 events.
func convertEventFieldLabel(label, value string) (string, string, error) {
	switch label {
	case "metadata.name", "metadata.namespace", "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
		"involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
		"reason", "reportingComponent", "source", "type":
		return label, value, nil
	}
	return "", "", fmt.Errorf("field label not supported: %s", label)
}

func init() {
	if err := Scheme.AddFieldLabelConversionFunc(corev1.SchemeGroupVersion.WithKind("Event"), convertEventFieldLabel); err != nil {
		panic(err)
	}
}
