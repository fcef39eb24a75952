package admissionpolicy

import (
	"context"
	"fmt"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/cel/openapi/resolver"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// typeCheck checks a policy's expressions against the schemas its workspace serves for the kinds it matches (the
// upstream type checker, given that workspace's discovery and OpenAPI), and writes the warnings to its status.
func (c *StatusController) typeCheck(ctx context.Context, cluster logicalcluster.Name, policy *admissionregistrationv1.ValidatingAdmissionPolicy) error {
	kube, err := c.clients.Kubernetes(string(cluster))
	if err != nil {
		return err
	}
	discovery := memory.NewMemCacheClient(kube.Discovery())
	checker := &validating.TypeChecker{
		SchemaResolver: &resolver.ClientDiscoveryResolver{Discovery: kube.Discovery()},
		RestMapper:     restmapper.NewDeferredDiscoveryRESTMapper(discovery),
	}
	warnings := checker.Check(policy)
	updated := policy.DeepCopy()
	updated.Status.ObservedGeneration = policy.Generation
	updated.Status.TypeChecking = &admissionregistrationv1.TypeChecking{ExpressionWarnings: warnings}
	_, err = kube.AdmissionregistrationV1().ValidatingAdmissionPolicies().UpdateStatus(ctx, updated, metav1.UpdateOptions{})
	switch {
	case apierrors.IsNotFound(err), apierrors.IsConflict(err):
		// Gone, or changed since: the change queued it again.
		return nil
	case err != nil:
		return fmt.Errorf("writing the type-checking status of ValidatingAdmissionPolicy %s: %w", policy.Name, err)
	}
	return nil
}
