package admissionpolicy

import (
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apiserver/pkg/admission"
)

// skippedGroups are never subject to admission policies: the policies themselves (a policy could otherwise lock
// its own workspace out of changing it, as upstream excludes them) and the reviews, which store nothing.
var skippedGroups = map[string]bool{
	admissionregistrationv1.GroupName: true,
	authenticationv1.GroupName:        true,
	authorizationv1.GroupName:         true,
}

// ValidatingPlugin is the admission plugin of ValidatingAdmissionPolicies: it dispatches each request to the
// policies bound in the request's workspace, with the upstream validating dispatcher.
type ValidatingPlugin struct {
	*admission.Handler
	source *ValidatingSource
}

var _ admission.ValidationInterface = &ValidatingPlugin{}

// NewValidatingPlugin returns the plugin over source; it handles the operations upstream's handles.
func NewValidatingPlugin(source *ValidatingSource) *ValidatingPlugin {
	return &ValidatingPlugin{Handler: admission.NewHandler(admission.Connect, admission.Create, admission.Delete, admission.Update), source: source}
}

// Validate implements admission.ValidationInterface.
func (p *ValidatingPlugin) Validate(ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces) error {
	return dispatch(ctx, a, o, p.source)
}

// MutatingPlugin is the admission plugin of MutatingAdmissionPolicies: it dispatches each request to the policies
// bound in the request's workspace, with the upstream mutating dispatcher.
type MutatingPlugin struct {
	*admission.Handler
	source *MutatingSource
}

var _ admission.MutationInterface = &MutatingPlugin{}

// NewMutatingPlugin returns the plugin over source; as upstream's, it handles no deletion (there is no object to
// mutate).
func NewMutatingPlugin(source *MutatingSource) *MutatingPlugin {
	return &MutatingPlugin{Handler: admission.NewHandler(admission.Create, admission.Update, admission.Connect), source: source}
}

// Admit implements admission.MutationInterface.
func (p *MutatingPlugin) Admit(ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces) error {
	return dispatch(ctx, a, o, p.source)
}

// dispatch hands a request to the hooks of its workspace.
func dispatch[P, B object, E any](ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces, source *Source[P, B, E]) error {
	if skippedGroups[a.GetResource().Group] {
		return nil
	}
	cluster, ok, err := RequestWorkspace(ctx, a, source.HasSynced, "admission policies")
	if !ok {
		return err
	}
	hooks, dispatcher, err := source.hooks(cluster)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("loading the admission policies of the workspace: %w", err))
	}
	if len(hooks) == 0 {
		return nil
	}
	return dispatcher.Dispatch(ctx, a, o, hooks)
}
