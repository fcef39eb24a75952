package kubecluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/gantry-dev/gantry/test/kubecluster"
)

// TestGPUScheduling runs the real scheduler against a kwok GPU node: a Deployment that fits becomes Available,
// one that asks for more GPUs than the node has stays Pending with the scheduler's reason.
func TestGPUScheduling(t *testing.T) {
	begin := time.Now()
	c := kubecluster.Start(t)
	t.Logf("cluster up in %s", time.Since(begin).Round(10*time.Millisecond))
	cs, err := kubernetes.NewForConfig(c.RESTConfig())
	require.NoError(t, err)
	ctx := t.Context()

	begin = time.Now()
	node := c.AddGPUNode(t, "gpu-0", "NVIDIA-H100-80GB-HBM3", 8)
	t.Logf("GPU node Ready in %s", time.Since(begin).Round(10*time.Millisecond))
	gpus := node.Status.Allocatable[kubecluster.GPUResource]
	assert.Equal(t, int64(8), gpus.Value())
	assert.Equal(t, "NVIDIA-H100-80GB-HBM3", node.Labels[kubecluster.GPUProductLabel])

	begin = time.Now()
	_, err = cs.AppsV1().Deployments("default").Create(ctx, gpuDeployment("infer", 2, 2), metav1.CreateOptions{})
	require.NoError(t, err)
	waitFor(t, "Deployment infer to be Available", func() bool {
		d, err := cs.AppsV1().Deployments("default").Get(ctx, "infer", metav1.GetOptions{})
		return err == nil && d.Status.AvailableReplicas == 2 &&
			deploymentCondition(d, appsv1.DeploymentAvailable) == corev1.ConditionTrue
	})
	t.Logf("2-replica GPU Deployment Available in %s", time.Since(begin).Round(10*time.Millisecond))

	_, err = cs.AppsV1().Deployments("default").Create(ctx, gpuDeployment("too-big", 1, 16), metav1.CreateOptions{})
	require.NoError(t, err)
	var scheduled *corev1.PodCondition
	waitFor(t, "a too-big pod to be unschedulable", func() bool {
		pods, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=too-big"})
		if err != nil || len(pods.Items) == 0 {
			return false
		}
		scheduled = podCondition(&pods.Items[0], corev1.PodScheduled)
		return scheduled != nil && scheduled.Status == corev1.ConditionFalse
	})
	assert.Equal(t, corev1.PodReasonUnschedulable, scheduled.Reason)
	assert.Contains(t, scheduled.Message, "Insufficient nvidia.com/gpu")
	d, err := cs.AppsV1().Deployments("default").Get(ctx, "too-big", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Zero(t, d.Status.AvailableReplicas)

	begin = time.Now()
	c.RestartAPIServer(t)
	t.Logf("kube-apiserver restarted in %s", time.Since(begin).Round(10*time.Millisecond))
	d, err = cs.AppsV1().Deployments("default").Get(ctx, "infer", metav1.GetOptions{})
	require.NoError(t, err)
	assert.Equal(t, int32(2), d.Status.AvailableReplicas, "state survives an apiserver restart")
}

func gpuDeployment(name string, replicas int32, gpus int64) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	gpu := *resource.NewQuantity(gpus, resource.DecimalSI)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					NodeSelector: map[string]string{"nvidia.com/gpu.present": "true"},
					Containers: []corev1.Container{{
						Name:  "server",
						Image: "example.invalid/infer:1",
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
							Limits:   corev1.ResourceList{kubecluster.GPUResource: gpu},
						},
					}},
				},
			},
		},
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true,
		func(context.Context) (bool, error) { return cond(), nil })
	require.NoError(t, err, "waiting for %s", what)
}

func deploymentCondition(d *appsv1.Deployment, typ appsv1.DeploymentConditionType) corev1.ConditionStatus {
	for _, c := range d.Status.Conditions {
		if c.Type == typ {
			return c.Status
		}
	}
	return corev1.ConditionUnknown
}

func podCondition(p *corev1.Pod, typ corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == typ {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}
