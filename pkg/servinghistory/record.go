package servinghistory

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/servingresolve"
)

// record creates a revision when the service's predictor, or the model version it resolves to, differs from its
// latest revision. It reports false when the service is gone.
func (s *step) record(ctx context.Context) (bool, error) {
	isvc, err := s.client.InferenceServices(s.namespace).Get(ctx, s.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return false, nil // its revisions go with it (owner references)
	}
	if err != nil {
		return false, err
	}
	if isvc.DeletionTimestamp != nil {
		return false, nil
	}
	s.service = isvc
	if s.revisions, err = s.listRevisions(ctx); err != nil {
		return false, err
	}
	predictor := &isvc.Spec.Predictor.Model
	model, err := s.model(ctx, predictor.ModelRef)
	if err != nil {
		return false, err
	}
	resolved, unresolved := servingresolve.ResolveModel(predictor, model)
	if unresolved != nil {
		resolved = nil
	}
	var latest *servingv1alpha1.InferenceServiceRevision
	if n := len(s.revisions); n > 0 {
		latest = &s.revisions[n-1]
	}
	change := Decide(isvc, resolved, model, latest)
	if !change.Record {
		return true, nil
	}
	number := int64(1)
	if latest != nil {
		number = latest.Spec.Revision + 1
	}
	now := metav1.NewTime(s.now())
	revision := &servingv1alpha1.InferenceServiceRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:      RevisionName(isvc.Name, number),
			Namespace: isvc.Namespace,
			Labels:    map[string]string{servingv1alpha1.ServiceLabel: isvc.Name},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: servingv1alpha1.SchemeGroupVersion.String(),
				Kind: "InferenceService", Name: isvc.Name, UID: isvc.UID}},
		},
		Spec: servingv1alpha1.InferenceServiceRevisionSpec{
			ServiceName:   isvc.Name,
			Revision:      number,
			Predictor:     *isvc.Spec.Predictor.DeepCopy(),
			ResolvedModel: resolved,
			Author:        change.Author,
			ChangeTime:    &now,
			Cause:         change.Cause,
		},
	}
	created, err := s.client.InferenceServiceRevisions(s.namespace).Create(ctx, revision, metav1.CreateOptions{})
	if err != nil {
		// AlreadyExists: a list that missed a revision just made; the next pass numbers after it.
		return false, fmt.Errorf("recording revision %d of %s/%s: %w", number, s.namespace, s.name, err)
	}
	s.revisions = append(s.revisions, *created)
	return true, nil
}
