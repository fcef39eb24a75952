package admission

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apiserver/pkg/admission"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// ServingChanges records who changed the spec of an InferenceService or a Model, and why, for the serving history:
// on a spec change it sets servingv1alpha1.ChangedByAnnotation to the requesting user, overwriting whatever the
// client sent, and keeps servingv1alpha1.ChangeCauseAnnotation only when the client sent a new value with this
// change (`kubectl gantry rollout undo` and `promote` do), dropping a stale one. A write that leaves the spec alone
// keeps both annotations as they were, so that neither can be forged between a change and its recording.
type ServingChanges struct{}

var _ admission.MutationInterface = &ServingChanges{}

// Handles implements admission.Interface: creations and updates.
func (ServingChanges) Handles(op admission.Operation) bool {
	return op == admission.Create || op == admission.Update
}

// Admit implements admission.MutationInterface.
func (ServingChanges) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	gr := a.GetResource().GroupResource()
	if (gr != inferenceServices && gr != models) || a.GetSubresource() != "" || a.GetObject() == nil {
		return nil
	}
	if _, ok := logicalcluster.From(ctx); !ok {
		return nil
	}
	obj, err := meta.Accessor(a.GetObject())
	if err != nil {
		return nil
	}
	var old map[string]string
	if a.GetOperation() == admission.Update {
		if o, err := meta.Accessor(a.GetOldObject()); err == nil {
			old = o.GetAnnotations()
		}
	}
	author := ""
	if u := a.GetUserInfo(); u != nil {
		author = u.GetName()
	}
	obj.SetAnnotations(changeAnnotations(obj.GetAnnotations(), old, specChanged(a), author))
	return nil
}

// changeAnnotations returns the annotations an admitted object keeps: asked are the client's, old the stored
// object's (nil at creation). On a spec change the author is set and the cause kept only when it is new.
func changeAnnotations(asked, old map[string]string, changed bool, author string) map[string]string {
	out := map[string]string{}
	for k, v := range asked {
		out[k] = v
	}
	keep := func(key string) {
		delete(out, key)
		if v, ok := old[key]; ok {
			out[key] = v
		}
	}
	if !changed {
		keep(servingv1alpha1.ChangedByAnnotation)
		keep(servingv1alpha1.ChangeCauseAnnotation)
	} else {
		out[servingv1alpha1.ChangedByAnnotation] = author
		if cause, sent := asked[servingv1alpha1.ChangeCauseAnnotation]; !sent || cause == "" || cause == old[servingv1alpha1.ChangeCauseAnnotation] {
			delete(out, servingv1alpha1.ChangeCauseAnnotation)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
