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
	want := map[string]string{RootCAKey: string(c.config.CABundle)}
	current, ok := c.rootCAs.Get(k.cluster, k.namespace+"/"+RootCAConfigMapName)
	if ok && maps.Equal(current.Data, want) && current.Annotations[descriptionAnnotation] != "" && len(current.BinaryData) == 0 {
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
