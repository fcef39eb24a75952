package virtualworkspace

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// ContentVerb is the verb a provider needs on its APIExport to use the export's virtual workspace.
const ContentVerb = "content"

// APIExport is the virtual workspace of an APIExport,
// /services/apiexport/<export path>/<export>/clusters/*|<one>/...: the provider's controllers see every bound
// object of the export in every workspace that binds it, and may read them and write them and their status.
func APIExport(crds *crdset.Set) *Definition {
	return &Definition{
		Name:   "apiexport",
		Object: apisv1alpha1.SchemeGroupVersion.WithResource("apiexports"),
		Verb:   ContentVerb,
		Resources: func(t Target) []*apiextensionsv1.CustomResourceDefinition {
			return crds.Export(t.Cluster, t.Name)
		},
		// One workspace: only one that binds this very export.
		Serves: func(t Target, cluster logicalcluster.Name, crd *apiextensionsv1.CustomResourceDefinition) bool {
			bound := crds.Bound(cluster, crd.Spec.Group, crd.Status.AcceptedNames.Plural)
			return bound != nil && bound.Annotations[crdset.BoundAnnotation] == t.Key()
		},
		Verbs:        []string{"get", "list", "watch", "update", "patch"},
		Subresources: []string{"status"},
	}
}
