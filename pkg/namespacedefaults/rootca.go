package namespacedefaults

import (
	"context"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ensureRootCA creates the namespace's kube-root-ca.crt, or sets it right when its data or description were
// changed: clients in the namespace trust what it holds, so only the server's CA bundle may stay there.
func (c *Controller) ensureRootCA(ctx context.Context, k key) error {
	want := maps.Clone(c.wantData)
	current, ok := c.rootCAs.Get(k.cluster, k.namespace+"/"+RootCAConfigMapName)
	if ok && c.inOrder(current) {
		return nil
	}
	client, err := c.config.Clients.Kubernetes(string(k.cluster))
	if err != nil {
		return err
	}
	configMaps := client.CoreV1().ConfigMaps(k.namespace)
	if !ok {
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: RootCAConfigMapName, Namespace: k.namespace,
				Annotations: map[string]string{descriptionAnnotation: rootCADescription}},
			Data: want,
		}
		_, err = configMaps.Create(ctx, cm, metav1.CreateOptions{FieldManager: fieldManager})
		return ignoreGone(err)
	}
	fixed := current.DeepCopy()
	fixed.Data, fixed.BinaryData = want, nil
	if fixed.Annotations == nil {
		fixed.Annotations = map[string]string{}
	}
	fixed.Annotations[descriptionAnnotation] = rootCADescription
	// A conflict means the index is behind: the retry finds the newer object there.
	_, err = configMaps.Update(ctx, fixed, metav1.UpdateOptions{FieldManager: fieldManager})
	return ignoreGone(err)
}

// inOrder reports whether a kube-root-ca.crt holds the server's CA bundle and nothing else, and says what it is for.
func (c *Controller) inOrder(cm *corev1.ConfigMap) bool {
	return maps.Equal(cm.Data, c.wantData) && cm.Annotations[descriptionAnnotation] != "" && len(cm.BinaryData) == 0
}

// slimRootCA is what the index keeps of a kube-root-ca.crt. One that is in order, as nearly all are, becomes its
// namespace and one shared copy of the wanted data and annotations, which reconcile only compares: the index then
// holds no CA bundle, description, timestamps or UIDs per namespace. Any other is kept whole, for reconcile to fix.
func (c *Controller) slimRootCA(cm *corev1.ConfigMap) *corev1.ConfigMap {
	if !c.inOrder(cm) {
		return cm
	}
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: RootCAConfigMapName, Namespace: cm.Namespace,
		Annotations: c.wantAnnotations}, Data: c.wantData}
}
