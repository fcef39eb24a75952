package apibinding

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/apischema"
	"github.com/gantry-dev/gantry/pkg/clusterstore"
	"github.com/gantry-dev/gantry/pkg/crdset"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// reconcileBindings decides all bindings of one workspace together: a binding already Bound keeps its resources,
// then the others claim theirs oldest first; a clash leaves the later binding unapplied, saying why. It then hands
// the workspace's bound CRDs to the crdset.Set and erases the objects of deleted bindings.
func (c *Controller) reconcileBindings(ctx context.Context, cluster logicalcluster.Name) error {
	all := c.bindings.List(cluster)
	sort.Slice(all, func(i, j int) bool {
		bi, bj := all[i].Status.Phase == apisv1alpha1.APIBindingPhaseBound, all[j].Status.Phase == apisv1alpha1.APIBindingPhaseBound
		if bi != bj {
			return bi
		}
		if !all[i].CreationTimestamp.Equal(&all[j].CreationTimestamp) {
			return all[i].CreationTimestamp.Before(&all[j].CreationTimestamp)
		}
		return all[i].Name < all[j].Name
	})
	claimed := map[string]string{}
	var bound []*apiextensionsv1.CustomResourceDefinition
	var deleted []*apisv1alpha1.APIBinding
	exports := map[string]bool{}
	waitingForIdentity := false
	for _, b := range all {
		if b.DeletionTimestamp != nil {
			deleted = append(deleted, b)
			continue
		}
		status, crds, wait, exportCluster := c.decide(cluster, b, claimed)
		bound = append(bound, crds...)
		waitingForIdentity = waitingForIdentity || wait
		if exportCluster != "" {
			exports[logicalcluster.Key(exportCluster, b.Spec.Reference.Export.Name)] = true
		}
		if c.leading.Load() && !equalJSON(b.Status, status) {
			if err := c.putBinding(ctx, cluster, b, func(obj *apisv1alpha1.APIBinding) { obj.Status = status }, "/status"); err != nil {
				return err
			}
		}
	}
	c.config.CRDs.SetBound(cluster, bound)
	c.setConsumer(cluster, exports)
	if !c.leading.Load() {
		return nil
	}
	for _, b := range deleted {
		if err := c.finishDeletion(ctx, cluster, b); err != nil {
			return err
		}
	}
	if waitingForIdentity {
		return errWaitForIdentity
	}
	return nil
}

// decide returns the status a binding should have, the CRDs it binds, whether to look again soon (waiting for an
// identity), and the logical cluster of its export when found.
func (c *Controller) decide(cluster logicalcluster.Name, b *apisv1alpha1.APIBinding, claimed map[string]string) (apisv1alpha1.APIBindingStatus, []*apiextensionsv1.CustomResourceDefinition, bool, logicalcluster.Name) {
	status := *b.Status.DeepCopy()
	if status.Phase == "" {
		status.Phase = apisv1alpha1.APIBindingPhaseBinding
	}
	notReady := func(reason, message string) {
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: apisv1alpha1.APIBindingReady, Status: metav1.ConditionFalse,
			Reason: reason, Message: message, ObservedGeneration: b.Generation})
	}
	export, reason, message := c.findExport(cluster, b.Spec.Reference.Export)
	if reason != "" {
		notReady(reason, message)
		return status, nil, reason == reasonWaitingForIdentity, export.cluster
	}
	exportCluster, identity, schemas := export.cluster, export.identity, export.schemas

	var conflicts []string
	// What the binding has bound already, with the storage versions its objects were written in.
	boundVersions := map[string][]string{}
	for _, r := range status.BoundResources {
		boundVersions[crdset.Name(r.Group, r.Resource)] = r.StorageVersions
	}
	wasBound := func(s *apisv1alpha1.APIResourceSchema) bool {
		_, ok := boundVersions[resourceName(s)]
		return ok
	}
	var accepted []*apisv1alpha1.APIResourceSchema
	for _, s := range schemas {
		if msg := c.conflict(cluster, b.Name, s, claimed, wasBound(s)); msg != "" {
			conflicts = append(conflicts, msg)
			continue
		}
		accepted = append(accepted, s)
	}
	if len(conflicts) > 0 {
		meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: apisv1alpha1.APIBindingNamesAccepted, Status: metav1.ConditionFalse,
			Reason: "NamingConflict", Message: strings.Join(conflicts, "; "), ObservedGeneration: b.Generation})
		notReady("NamingConflict", "not every resource of the export can be served here")
		// Nothing changes: what this binding has bound already stays bound, nothing new is added.
		kept := slices.DeleteFunc(accepted, func(s *apisv1alpha1.APIResourceSchema) bool { return !wasBound(s) })
		return status, c.claim(b, kept, identity, exportCluster, export.version, claimed), false, exportCluster
	}
	status.BoundResources = boundResources(schemas, identity, boundVersions)
	status.Phase = apisv1alpha1.APIBindingPhaseBound
	status.APIExportClusterName = string(exportCluster)
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: apisv1alpha1.APIBindingNamesAccepted, Status: metav1.ConditionTrue,
		Reason: "NoConflicts", Message: "no conflicts found", ObservedGeneration: b.Generation})
	meta.SetStatusCondition(&status.Conditions, metav1.Condition{Type: apisv1alpha1.APIBindingReady, Status: metav1.ConditionTrue,
		Reason: "Bound", Message: "every resource of the export is served", ObservedGeneration: b.Generation})
	return status, c.claim(b, schemas, identity, exportCluster, export.version, claimed), false, exportCluster
}

// reasonWaitingForIdentity is the Ready reason of a binding whose APIExport has no identity yet.
const reasonWaitingForIdentity = "WaitingForIdentity"

// exportOffer is what the APIExport a binding references offers: the export's logical cluster, its identity and
// its schemas.
type exportOffer struct {
	cluster  logicalcluster.Name
	identity string
	schemas  []*apisv1alpha1.APIResourceSchema
	// version is the export's resource version as read: it orders the export's changes of schema.
	version int64
}

// findExport resolves the APIExport a binding of cluster references, with its identity and schemas. When they
// cannot all be had it returns the reason and message of the binding's Ready condition; the offer's cluster is
// then set once the export's workspace is found.
func (c *Controller) findExport(cluster logicalcluster.Name, ref *apisv1alpha1.ExportBindingReference) (offer exportOffer, reason, message string) {
	offer.cluster = cluster
	if ref.Path != "" {
		var ok bool
		if offer.cluster, ok = c.config.Workspaces.Resolve(logicalcluster.Reference{Path: logicalcluster.Path(ref.Path)}); !ok {
			return exportOffer{}, "APIExportNotFound", fmt.Sprintf("workspace %s does not exist", ref.Path)
		}
	}
	e, ok := c.exports.Get(offer.cluster, ref.Name)
	if !ok {
		return offer, "APIExportNotFound", fmt.Sprintf("no APIExport %q in %s", ref.Name, c.pathOf(offer.cluster))
	}
	offer.identity = e.Status.IdentityHash
	offer.version, _ = strconv.ParseInt(e.ResourceVersion, 10, 64)
	if offer.identity == "" {
		return offer, reasonWaitingForIdentity, fmt.Sprintf("APIExport %q has no identity yet", ref.Name)
	}
	for _, name := range e.Spec.LatestResourceSchemas {
		s, ok := c.schemas.Get(offer.cluster, name)
		if !ok {
			return offer, "APIResourceSchemaNotFound", fmt.Sprintf("APIExport %q names APIResourceSchema %q, which does not exist", ref.Name, name)
		}
		offer.schemas = append(offer.schemas, s)
	}
	return offer, "", ""
}

// boundResources returns a binding's status.boundResources for the schemas it binds: each resource keeps the
// storage versions its objects were written in (boundVersions, by resourceName) and adds its schema's current one.
func boundResources(schemas []*apisv1alpha1.APIResourceSchema, identity string, boundVersions map[string][]string) []apisv1alpha1.BoundAPIResource {
	var out []apisv1alpha1.BoundAPIResource
	for _, s := range schemas {
		versions := slices.Clone(boundVersions[resourceName(s)])
		for _, v := range s.Spec.Versions {
			if v.Storage && !slices.Contains(versions, v.Name) {
				versions = append(versions, v.Name)
			}
		}
		out = append(out, apisv1alpha1.BoundAPIResource{
			Group: s.Spec.Group, Resource: s.Spec.Names.Plural, StorageVersions: versions,
			Schema: apisv1alpha1.BoundSchema{Name: s.Name, UID: string(s.UID), IdentityHash: identity},
		})
	}
	return out
}

// resourceName is "<plural>.<group>" ("<plural>.core" for the core group), the name of the CRD a schema stands for.
func resourceName(s *apisv1alpha1.APIResourceSchema) string {
	return crdset.Name(s.Spec.Group, s.Spec.Names.Plural)
}

// conflict says why a schema cannot be served in a workspace, or "". A resource the binding has bound already
// (wasBound) stays bound: a CRD created after it is the one refused (by the CRD controller).
func (c *Controller) conflict(cluster logicalcluster.Name, binding string, s *apisv1alpha1.APIResourceSchema, claimed map[string]string, wasBound bool) string {
	name := resourceName(s)
	if s.Spec.Group == "" && c.reserved.Resource("", s.Spec.Names.Plural) {
		return fmt.Sprintf("core resource %q is served by Gantry itself", s.Spec.Names.Plural)
	}
	if c.reserved.Resource(s.Spec.Group, s.Spec.Names.Plural) {
		return fmt.Sprintf("group %q is served by Gantry itself", s.Spec.Group)
	}
	if other := claimed[name]; other != "" && other != binding {
		return fmt.Sprintf("%s is already bound by APIBinding %q", name, other)
	}
	if wasBound {
		return ""
	}
	for _, crd := range c.config.CRDs.Local.InCluster(cluster) {
		if crd.Name == name {
			return fmt.Sprintf("%s is already defined by a CustomResourceDefinition in this workspace", name)
		}
		if crd.Spec.Group == s.Spec.Group && crd.Spec.Names.Kind == s.Spec.Names.Kind {
			return fmt.Sprintf("kind %s.%s is already defined by CustomResourceDefinition %s", s.Spec.Names.Kind, s.Spec.Group, crd.Name)
		}
	}
	return ""
}

// claim records the schemas as bound by the binding and returns their CRDs.
func (c *Controller) claim(b *apisv1alpha1.APIBinding, schemas []*apisv1alpha1.APIResourceSchema, identity string, exportCluster logicalcluster.Name,
	exportVersion int64, claimed map[string]string) []*apiextensionsv1.CustomResourceDefinition {
	out := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(schemas))
	for _, s := range schemas {
		claimed[resourceName(s)] = b.Name
		out = append(out, c.boundCRD(s, identity, logicalcluster.Key(exportCluster, b.Spec.Reference.Export.Name), exportVersion))
	}
	return out
}

// boundCRD returns the established CRD that serves a schema under an export's identity: one object per schema and
// identity, shared by every workspace that binds the export. exportVersion is the resource version of the export
// the schema was read from.
//
// The CRD's generation orders the schemas a resource is served with: the custom resource server serves the
// highest it has seen, so that workspaces that see an export's change at different moments never take the
// resource back to the older schema. A schema gets, as its generation, the export's resource version from when
// the export turned to it, so that an export that goes back to an earlier schema (created before the one it
// leaves) is followed too; an export's other changes leave the generation as it is.
func (c *Controller) boundCRD(s *apisv1alpha1.APIResourceSchema, identity, export string, exportVersion int64) *apiextensionsv1.CustomResourceDefinition {
	key := string(s.UID) + "|" + identity
	resource := identity + "|" + resourceName(s)
	c.mu.Lock()
	defer c.mu.Unlock()
	generation := exportVersion
	if current, ok := c.servedSchemas[resource]; ok && current.uid == s.UID {
		generation = current.generation
	} else if !ok || exportVersion > current.generation {
		c.servedSchemas[resource] = servedSchema{uid: s.UID, generation: exportVersion}
	}
	if crd, ok := c.crds[key]; ok && crd.Generation == generation {
		return crd
	}
	crd := apischema.ToCRD(s, types.UID(identity))
	crd.Annotations = map[string]string{crdset.BoundAnnotation: export}
	crd.Generation = generation
	names := crd.Spec.Names
	if names.Singular == "" {
		names.Singular = strings.ToLower(names.Kind)
	}
	if names.ListKind == "" {
		names.ListKind = names.Kind + "List"
	}
	crd.Status.AcceptedNames = names
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			crd.Status.StoredVersions = []string{v.Name}
		}
	}
	crd.Status.Conditions = []apiextensionsv1.CustomResourceDefinitionCondition{
		{Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionTrue, Reason: "Bound"},
		{Type: apiextensionsv1.Established, Status: apiextensionsv1.ConditionTrue, Reason: "Bound"},
	}
	c.crds[key] = crd
	return crd
}

// finishDeletion erases a deleted binding's objects in the workspace, then lets it go.
func (c *Controller) finishDeletion(ctx context.Context, cluster logicalcluster.Name, b *apisv1alpha1.APIBinding) error {
	if !slices.Contains(b.Finalizers, apisv1alpha1.BindingFinalizer) {
		return nil
	}
	for _, r := range b.Status.BoundResources {
		prefix := clusterstore.CustomResourcePrefix(schema.GroupResource{Group: r.Group, Resource: r.Resource}, r.Schema.IdentityHash)
		if err := c.config.Eraser.EraseShare(ctx, prefix, cluster); err != nil {
			return err
		}
	}
	return c.putBinding(ctx, cluster, b, func(obj *apisv1alpha1.APIBinding) {
		obj.Finalizers = slices.DeleteFunc(obj.Finalizers, func(f string) bool { return f == apisv1alpha1.BindingFinalizer })
	}, "")
}

// putBinding writes a changed copy of a binding (or, with subresource "/status", its status).
func (c *Controller) putBinding(ctx context.Context, cluster logicalcluster.Name, b *apisv1alpha1.APIBinding, change func(*apisv1alpha1.APIBinding), subresource string) error {
	obj := b.DeepCopy()
	change(obj)
	client, err := c.config.Clients.Gantry(string(cluster))
	if err != nil {
		return err
	}
	bindings := client.ApisV1alpha1().APIBindings()
	if subresource == "/status" {
		_, err = bindings.UpdateStatus(ctx, obj, metav1.UpdateOptions{})
	} else {
		_, err = bindings.Update(ctx, obj, metav1.UpdateOptions{})
	}
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // a newer version is on its way to the index
	}
	return err
}

// setConsumer records which exports a workspace binds, so that a changed export reaches it. Only the exports the
// workspace bound before or binds now are touched.
func (c *Controller) setConsumer(cluster logicalcluster.Name, exports map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key := range c.bindsTo[cluster] {
		if !exports[key] {
			delete(c.consumers[key], cluster)
			if len(c.consumers[key]) == 0 {
				delete(c.consumers, key)
			}
		}
	}
	for key := range exports {
		if c.consumers[key] == nil {
			c.consumers[key] = map[logicalcluster.Name]bool{}
		}
		c.consumers[key][cluster] = true
	}
	if len(exports) == 0 {
		delete(c.bindsTo, cluster)
	} else {
		c.bindsTo[cluster] = exports
	}
}

func (c *Controller) pathOf(cluster logicalcluster.Name) string {
	if p, ok := c.config.Workspaces.Path(cluster); ok {
		return string(p)
	}
	return string(cluster)
}
