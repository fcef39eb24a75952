package customresources

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	kerrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// establish accepts a CRD's names unless they clash with another CRD of its workspace or a group Gantry serves
// itself, and marks it Established; clashes are reported in the NamesAccepted condition and nothing is served.
func (c *Controller) establish(ctx context.Context, key string) error {
	cluster, name := logicalcluster.SplitKey(key)
	crd := c.index.Get(cluster, name)
	if crd == nil || crd.DeletionTimestamp != nil {
		return nil
	}
	want := crd.DeepCopy()
	names := crd.Spec.Names
	if names.Singular == "" {
		names.Singular = strings.ToLower(names.Kind)
	}
	if names.ListKind == "" {
		names.ListKind = names.Kind + "List"
	}
	if reason, message := c.conflict(cluster, crd, names); reason != "" {
		apihelpers.SetCRDCondition(want, apiextensionsv1.CustomResourceDefinitionCondition{
			Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionFalse, Reason: reason, Message: message})
		if !apihelpers.IsCRDConditionTrue(crd, apiextensionsv1.Established) {
			apihelpers.SetCRDCondition(want, apiextensionsv1.CustomResourceDefinitionCondition{
				Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionFalse, Reason: "NotAccepted", Message: "not all names are accepted"})
		}
	} else {
		want.Status.AcceptedNames = names
		apihelpers.SetCRDCondition(want, apiextensionsv1.CustomResourceDefinitionCondition{
			Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionTrue, Reason: "NoConflicts", Message: "no conflicts found"})
		apihelpers.SetCRDCondition(want, apiextensionsv1.CustomResourceDefinitionCondition{
			Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue, Reason: "InitialNamesAccepted", Message: "the initial names have been accepted"})
	}
	if equality.Semantic.DeepEqual(crd.Status, want.Status) {
		return nil
	}
	err := c.putStatus(ctx, string(cluster), want)
	if kerrors.IsNotFound(err) || kerrors.IsConflict(err) {
		return nil // a newer version of the object is on its way to the index
	}
	return err
}

// conflict returns a reason and message when names clash with a reserved group or with the accepted names of
// another CRD of the same group in the workspace.
func (c *Controller) conflict(cluster logicalcluster.Name, crd *apiextensionsv1.CustomResourceDefinition, names apiextensionsv1.CustomResourceDefinitionNames) (string, string) {
	if crd.Spec.Group == "" || c.server.reserved.Group(crd.Spec.Group) {
		return "ReservedGroup", fmt.Sprintf("group %q is served by Gantry itself", crd.Spec.Group)
	}
	for _, other := range c.server.CRDs.InCluster(cluster) {
		if other.UID == crd.UID || other.Spec.Group != crd.Spec.Group {
			continue
		}
		taken := other.Status.AcceptedNames
		switch {
		case taken.Kind != "" && (taken.Kind == names.Kind || taken.ListKind == names.ListKind):
			return "KindConflict", fmt.Sprintf("kind %q is already in use by %s", names.Kind, other.Name)
		case taken.Plural != "" && (taken.Singular == names.Plural || taken.Plural == names.Singular || taken.Singular == names.Singular):
			return "SingularConflict", fmt.Sprintf("singular name %q is already in use by %s", names.Singular, other.Name)
		}
		for _, s := range names.ShortNames {
			if slices.Contains(taken.ShortNames, s) {
				return "ShortNamesConflict", fmt.Sprintf("short name %q is already in use by %s", s, other.Name)
			}
		}
	}
	return "", ""
}
