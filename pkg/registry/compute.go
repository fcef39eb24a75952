package registry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"

	computev1alpha1 "github.com/gantry-dev/gantry/apis/compute/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// SyncableBuiltins are the resources Gantry serves itself that a SyncTarget may carry to its cluster, and
// DefaultBuiltins those it carries when its spec names none.
var (
	SyncableBuiltins = []string{"configmaps", "secrets"}
	DefaultBuiltins  = []string{"configmaps", "secrets"}
)

// Compute is the resourceSet of compute.gantry.dev: synctargets(/status) and placements(/status).
func Compute(optsGetter generic.RESTOptionsGetter) (map[schema.GroupVersionResource]rest.Storage, error) {
	targetRules, targetStatus := specAndStatus(validateSyncTarget, func(_ context.Context, obj runtime.Object) {
		t := obj.(*computev1alpha1.SyncTarget)
		t.Status = computev1alpha1.SyncTargetStatus{}
		if len(t.Spec.BuiltinResources) == 0 {
			t.Spec.BuiltinResources = append([]string(nil), DefaultBuiltins...)
		}
	})
	targets, err := statusResource(optsGetter, resource{
		gvr: computev1alpha1.SchemeGroupVersion.WithResource("synctargets"), kind: "SyncTarget", singular: "synctarget",
		newFunc: func() runtime.Object { return &computev1alpha1.SyncTarget{} },
		newList: func() runtime.Object { return &computev1alpha1.SyncTargetList{} },
		rules:   targetRules,
	}, targetStatus)
	if err != nil {
		return nil, err
	}
	placementRules, placementStatus := specAndStatus(validatePlacement, func(_ context.Context, obj runtime.Object) {
		p := obj.(*computev1alpha1.Placement)
		p.Status = computev1alpha1.PlacementStatus{Phase: computev1alpha1.PlacementPending}
		defaultPlacement(p)
	})
	keepStatus := placementRules.prepareForUpdate
	placementRules.prepareForUpdate = func(obj, old runtime.Object) {
		keepStatus(obj, old)
		defaultPlacement(obj.(*computev1alpha1.Placement))
	}
	placements, err := statusResource(optsGetter, resource{
		gvr: computev1alpha1.SchemeGroupVersion.WithResource("placements"), kind: "Placement", singular: "placement",
		newFunc: func() runtime.Object { return &computev1alpha1.Placement{} },
		newList: func() runtime.Object { return &computev1alpha1.PlacementList{} },
		rules:   placementRules,
	}, placementStatus)
	if err != nil {
		return nil, err
	}
	for gvr, storage := range placements {
		targets[gvr] = storage
	}
	return targets, nil
}

func validateSyncTarget(obj, _ runtime.Object) field.ErrorList {
	t := obj.(*computev1alpha1.SyncTarget)
	errs := validateName(obj, apimachineryvalidation.NameIsDNSLabel)
	spec := field.NewPath("spec")
	for i, ref := range t.Spec.SupportedAPIExports {
		errs = append(errs, validateExportReference(spec.Child("supportedAPIExports").Index(i), ref)...)
	}
	for i, r := range t.Spec.BuiltinResources {
		if !slices.Contains(SyncableBuiltins, r) {
			errs = append(errs, field.NotSupported(spec.Child("builtinResources").Index(i), r, SyncableBuiltins))
		}
	}
	if d := t.Spec.EvictAfter; d != nil && d.Duration < 0 {
		errs = append(errs, field.Invalid(spec.Child("evictAfter"), d.Duration.String(), "must not be negative"))
	}
	return errs
}

func validateExportReference(p *field.Path, ref computev1alpha1.ExportReference) field.ErrorList {
	var errs field.ErrorList
	if _, err := logicalcluster.ParsePath(ref.Path); err != nil {
		errs = append(errs, field.Invalid(p.Child("path"), ref.Path, err.Error()))
	}
	if ref.Export == "" {
		return append(errs, field.Required(p.Child("export"), "the APIExport's name"))
	}
	for _, msg := range apimachineryvalidation.NameIsDNSSubdomain(ref.Export, false) {
		errs = append(errs, field.Invalid(p.Child("export"), ref.Export, msg))
	}
	return errs
}

// defaultPlacement writes spec.clusters' default, 1, so that the stored object says how many targets it gets.
func defaultPlacement(p *computev1alpha1.Placement) {
	if p.Spec.Clusters == nil {
		one := int32(1)
		p.Spec.Clusters = &one
	}
}

func validatePlacement(obj, _ runtime.Object) field.ErrorList {
	p := obj.(*computev1alpha1.Placement)
	errs := validateName(obj, apimachineryvalidation.NameIsDNSSubdomain)
	spec := field.NewPath("spec")
	if p.Spec.LocationWorkspace == "" {
		errs = append(errs, field.Required(spec.Child("locationWorkspace"), "the path of the workspace holding the SyncTargets, such as root:compute"))
	} else if _, err := logicalcluster.ParsePath(p.Spec.LocationWorkspace); err != nil {
		errs = append(errs, field.Invalid(spec.Child("locationWorkspace"), p.Spec.LocationWorkspace, err.Error()))
	}
	opts := metav1validation.LabelSelectorValidationOptions{}
	errs = append(errs, metav1validation.ValidateLabelSelector(p.Spec.LocationSelector, opts, spec.Child("locationSelector"))...)
	errs = append(errs, metav1validation.ValidateLabelSelector(p.Spec.NamespaceSelector, opts, spec.Child("namespaceSelector"))...)
	if n := p.Spec.Clusters; n != nil && *n < 1 {
		errs = append(errs, field.Invalid(spec.Child("clusters"), *n, "must be at least 1: the number of SyncTargets each selected object runs on"))
	} else if n != nil && *n > computev1alpha1.MaxPlacementClusters {
		errs = append(errs, field.Invalid(spec.Child("clusters"), *n, fmt.Sprintf("must be at most %d", computev1alpha1.MaxPlacementClusters)))
	}
	if p.Spec.SpreadBy != "" {
		errs = append(errs, metav1validation.ValidateLabelName(p.Spec.SpreadBy, spec.Child("spreadBy"))...)
	}
	return errs
}

// syncTargetColumns are the printer columns of a SyncTarget: readiness, GPUs free/total, heartbeat age.
func syncTargetColumns(o runtime.Object) []interface{} {
	t := o.(*computev1alpha1.SyncTarget)
	ready := "Unknown"
	if c := meta.FindStatusCondition(t.Status.Conditions, "Ready"); c != nil {
		ready = string(c.Status)
	}
	if t.Spec.Unschedulable {
		ready += ",SchedulingDisabled"
	}
	var free, total int64
	for _, g := range t.Status.GPUs {
		free += g.Allocatable - g.Requested
		total += g.Allocatable
	}
	heartbeat := "<never>"
	if hb := t.Status.LastHeartbeatTime; hb != nil {
		heartbeat = duration.HumanDuration(time.Since(hb.Time))
	}
	return []interface{}{ready, fmt.Sprintf("%d/%d", free, total), heartbeat}
}

// placementColumns are the printer columns of a Placement: its targets and phase.
func placementColumns(o runtime.Object) []interface{} {
	p := o.(*computev1alpha1.Placement)
	target := "<none>"
	if t := p.Status.SelectedTarget; t != nil {
		target = t.Path + ":" + t.Name
	}
	if len(p.Status.SelectedTargets) > 0 {
		chosen := make([]string, 0, len(p.Status.SelectedTargets))
		for _, t := range p.Status.SelectedTargets {
			chosen = append(chosen, t.Path+":"+t.Name)
		}
		target = strings.Join(chosen, ",")
	}
	return []interface{}{p.Spec.LocationWorkspace, target, string(p.Status.Phase)}
}
