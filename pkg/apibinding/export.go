package apibinding

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	apisv1alpha1 "github.com/gantry-dev/gantry/apis/apis/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// IdentityValid is the APIExport condition that says whether its identity is known.
const IdentityValid = "IdentityValid"

// reconcileExport gives an export its identity (creating the Secret when the spec names none) and its virtual
// workspace URL, then has the workspaces that bind it look again.
func (c *Controller) reconcileExport(ctx context.Context, cluster logicalcluster.Name, name string) error {
	c.requeueConsumers(cluster, name)
	e, ok := c.exports.Get(cluster, name)
	if !ok || e.DeletionTimestamp != nil {
		c.config.CRDs.SetExport(cluster, name, nil)
		return nil
	}
	c.config.CRDs.SetExport(cluster, name, c.exportCRDs(cluster, e))
	if !c.leading.Load() {
		return nil
	}
	want := e.DeepCopy()
	if path, ok := c.config.Workspaces.Path(cluster); ok {
		want.Status.VirtualWorkspaceURL = fmt.Sprintf("%s/services/apiexport/%s/%s", c.config.ExternalURL, path, name)
	}
	if want.Status.IdentityHash == "" {
		hash, err := c.identityHash(ctx, cluster, e)
		if err != nil {
			meta.SetStatusCondition(&want.Status.Conditions, metav1.Condition{Type: IdentityValid, Status: metav1.ConditionFalse,
				Reason: "IdentitySecretUnusable", Message: err.Error(), ObservedGeneration: e.Generation})
		} else {
			want.Status.IdentityHash = hash
		}
	}
	if want.Status.IdentityHash != "" {
		meta.SetStatusCondition(&want.Status.Conditions, metav1.Condition{Type: IdentityValid, Status: metav1.ConditionTrue,
			Reason: "IdentityKnown", Message: "bound objects are stored under the identity hash", ObservedGeneration: e.Generation})
	}
	if equalJSON(e.Status, want.Status) {
		return nil
	}
	client, err := c.config.Clients.Gantry(string(cluster))
	if err != nil {
		return err
	}
	_, err = client.ApisV1alpha1().APIExports().UpdateStatus(ctx, want, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // a newer version is on its way to the index
	}
	return err
}

// identityHash reads (or, for the default Secret, creates) an export's identity key and returns its SHA-256.
func (c *Controller) identityHash(ctx context.Context, cluster logicalcluster.Name, e *apisv1alpha1.APIExport) (string, error) {
	clients, err := c.config.Clients.Cluster(string(cluster))
	if err != nil {
		return "", err
	}
	client := clients.Kubernetes
	ref, generated := identitySecret(e)
	secret, err := client.CoreV1().Secrets(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && generated {
		secret, err = c.createIdentity(ctx, client, ref)
	}
	if err != nil {
		return "", fmt.Errorf("identity Secret %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	key := secret.Data["key"]
	if len(key) == 0 {
		return "", fmt.Errorf("identity Secret %s/%s has no \"key\"", ref.Namespace, ref.Name)
	}
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:]), nil
}

func (c *Controller) createIdentity(ctx context.Context, client kubernetes.Interface, ref corev1.SecretReference) (*corev1.Secret, error) {
	_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ref.Namespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ref.Namespace, Name: ref.Name}, Data: map[string][]byte{"key": key}}
	created, err := client.CoreV1().Secrets(ref.Namespace).Create(ctx, secret, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return client.CoreV1().Secrets(ref.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
	}
	return created, err
}

// requeueConsumers has every workspace that binds an export look at its bindings again.
func (c *Controller) requeueConsumers(cluster logicalcluster.Name, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for consumer := range c.consumers[logicalcluster.Key(cluster, name)] {
		c.queue.Add(item{cluster: consumer})
	}
}

// equalJSON compares two values by their JSON form, which is what the server stores.
func equalJSON(a, b interface{}) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// exportCRDs returns the CRDs of an export's current schemas under its identity, the very objects its consumers
// are served from, or none before it has an identity.
func (c *Controller) exportCRDs(cluster logicalcluster.Name, e *apisv1alpha1.APIExport) []*apiextensionsv1.CustomResourceDefinition {
	if e.Status.IdentityHash == "" {
		return nil
	}
	version, _ := strconv.ParseInt(e.ResourceVersion, 10, 64)
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, schemaName := range e.Spec.LatestResourceSchemas {
		if s, ok := c.schemas.Get(cluster, schemaName); ok {
			out = append(out, c.boundCRD(s, e.Status.IdentityHash, logicalcluster.Key(cluster, e.Name), version))
		}
	}
	return out
}
