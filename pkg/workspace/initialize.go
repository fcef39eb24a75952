package workspace

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	tenancyv1alpha1 "github.com/gantry-dev/gantry/apis/tenancy/v1alpha1"
	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// DefaultNamespace is created in every workspace, as in every Kubernetes cluster.
const DefaultNamespace = "default"

// initialize writes a new workspace's initial content and marks it Ready with its URL.
func (c *Controller) initialize(ctx context.Context, key string, ws *tenancyv1alpha1.Workspace) error {
	cluster := logicalcluster.Name(ws.Spec.Cluster)
	if err := c.EnsureDefaultNamespace(ctx, cluster); err != nil {
		return err
	}
	path, ok := c.index.Path(cluster)
	if !ok {
		return fmt.Errorf("no path known for logical cluster %s: %w", cluster, errRequeue)
	}
	ready := ws.DeepCopy()
	ready.Status.Phase = tenancyv1alpha1.WorkspacePhaseReady
	ready.Status.URL = c.externalURL + "/clusters/" + string(path)
	return c.put(ctx, workspacePath(key, "status"), ready)
}

// EnsureDefaultNamespace creates the default namespace in cluster unless it exists.
func (c *Controller) EnsureDefaultNamespace(ctx context.Context, cluster logicalcluster.Name) error {
	body, err := json.Marshal(&corev1.Namespace{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: DefaultNamespace},
	})
	if err != nil {
		return err
	}
	err = c.client.Post().AbsPath("/clusters/" + string(cluster) + "/api/v1/namespaces").Body(body).Do(ctx).Error()
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
