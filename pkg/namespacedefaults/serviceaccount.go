package namespacedefaults

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ensureServiceAccount creates the namespace's default ServiceAccount when the index has none. A namespace that
// began terminating meanwhile refuses the create; that is no error, as the namespace is going.
func (c *Controller) ensureServiceAccount(ctx context.Context, k key) error {
	if _, ok := c.config.ServiceAccounts.Get(k.cluster, k.namespace+"/"+ServiceAccountName); ok {
		return nil
	}
	client, err := c.config.Clients.Kubernetes(string(k.cluster))
	if err != nil {
		return err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: ServiceAccountName, Namespace: k.namespace}}
	_, err = client.CoreV1().ServiceAccounts(k.namespace).Create(ctx, sa, metav1.CreateOptions{FieldManager: fieldManager})
	return ignoreGone(err)
}

// ignoreGone drops the errors that mean there is nothing to do: the object exists already (the index lags), the
// namespace or workspace is gone, or the namespace is terminating.
func ignoreGone(err error) error {
	if apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
		return nil
	}
	return err
}
