package admissionwebhook

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apiserver/pkg/admission"

	"github.com/gantry-dev/gantry/pkg/admissionpolicy"
)

// skippedGroups are never sent to webhooks: the reviews, which store nothing and which a webhook could otherwise
// use to lock the workspace out of its own authorization, as upstream excludes them. Webhook configurations and
// admission policies are exempt inside the upstream plugin itself.
var skippedGroups = map[string]bool{
	authenticationv1.GroupName: true,
	authorizationv1.GroupName:  true,
}

// ValidatingPlugin is the ValidatingAdmissionWebhook admission plugin of every workspace: it dispatches each
// request to the upstream plugin over the request's workspace's ValidatingWebhookConfigurations.
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

// MutatingPlugin is the MutatingAdmissionWebhook admission plugin of every workspace: it dispatches each request to
// the upstream plugin over the request's workspace's MutatingWebhookConfigurations.
type MutatingPlugin struct {
	*admission.Handler
	source *MutatingSource
}

var _ admission.MutationInterface = &MutatingPlugin{}

// NewMutatingPlugin returns the plugin over source; it handles the operations upstream's handles.
func NewMutatingPlugin(source *MutatingSource) *MutatingPlugin {
	return &MutatingPlugin{Handler: admission.NewHandler(admission.Connect, admission.Create, admission.Delete, admission.Update), source: source}
}

// Admit implements admission.MutationInterface.
func (p *MutatingPlugin) Admit(ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces) error {
	return dispatch(ctx, a, o, p.source)
}

// dispatch hands a request to the upstream plugin of its workspace, if the workspace has webhooks of the kind.
func dispatch[C object](ctx context.Context, a admission.Attributes, o admission.ObjectInterfaces, source *Source[C]) error {
	if skippedGroups[a.GetResource().Group] {
		return nil
	}
	cluster, ok, err := admissionpolicy.RequestWorkspace(ctx, a, source.HasSynced, "admission webhooks")
	if !ok {
		return err
	}
	webhook, err := source.webhook(cluster)
	if err != nil {
		return admission.NewForbidden(a, fmt.Errorf("loading the admission webhooks of the workspace: %w", err))
	}
	if webhook == nil {
		return nil
	}
	return webhook.Dispatch(ctx, a, o)
}
