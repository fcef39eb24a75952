package servingoperator_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/gantry-dev/gantry/apis/serving/v1alpha1"
	servingconfig "github.com/gantry-dev/gantry/config/serving"
	operatormanifests "github.com/gantry-dev/gantry/config/serving/operator"
	"github.com/gantry-dev/gantry/pkg/servingoperator"
	"github.com/gantry-dev/gantry/test/kubecluster"
)

const (
	h100 = "NVIDIA-H100-80GB-HBM3"
	a100 = "NVIDIA-A100-SXM4-80GB"
)

// TestOperator runs the operator against a real cluster (kube-apiserver, controller-manager, scheduler, kwok GPU
// nodes), as the ServiceAccount of its manifests bound to its ClusterRole, so that the RBAC is proven too. All
// services are created at once and checked one by one.
func TestOperator(t *testing.T) {
	c := kubecluster.Start(t)
	c.AddGPUNode(t, "h100-0", h100, 8)
	c.AddGPUNode(t, "a100-0", a100, 8)
	ctx := t.Context()
	admin := c.RESTConfig()
	installCRDs(t, admin)
	cl, err := client.New(admin, client.Options{Scheme: servingoperator.Scheme()})
	require.NoError(t, err)
	metricsAddr := startOperator(t, admin, cl)

	for _, ns := range []string{"team-a", "team-b"} {
		require.NoError(t, cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	}
	require.NoError(t, cl.Create(ctx, llama("team-a", "s3://team-a/llama")))
	require.NoError(t, cl.Create(ctx, llama("team-b", "s3://team-b/llama")))

	chat := llmService("team-a", "chat", 1)
	chat.Labels = map[string]string{"team": "a"}
	chat.Spec.Predictor.GPUProduct = h100
	chatB := llmService("team-b", "chat", 1)
	big := llmService("team-a", "big", 16)
	missing := llmService("team-a", "missing", 0)
	missing.Spec.Predictor.Model.ModelRef = &servingv1alpha1.ModelReference{Name: "llama", Version: "v9"}
	services := []*servingv1alpha1.InferenceService{chat, chatB, big, missing}
	for _, fault := range []string{kubecluster.FaultCrashLoopBackOff, kubecluster.FaultOOMKilled, kubecluster.FaultImagePullBackOff} {
		s := sklearnService("team-a", "fault-"+strings.ToLower(fault))
		s.Annotations = map[string]string{kubecluster.FaultAnnotation: fault}
		services = append(services, s)
	}
	// A namespace's own runtime with a short startup budget, for a pod that never becomes ready.
	require.NoError(t, cl.Create(ctx, slowRuntime("team-a")))
	slow := sklearnService("team-a", "never-ready")
	slow.Spec.Predictor.Model.Runtime = "slow"
	slow.Annotations = map[string]string{kubecluster.FaultAnnotation: kubecluster.FaultNotReady}
	services = append(services, slow)
	for _, s := range services {
		require.NoError(t, cl.Create(ctx, s), s.Name)
	}

	t.Run("a 1-GPU service on H100 becomes Healthy on the H100 node", func(t *testing.T) {
		st := waitForHealth(t, cl, chat, servingv1alpha1.HealthHealthy)
		assert.Equal(t, servingv1alpha1.TransitionUpToDate, st.ModelStatus.TransitionStatus)
		assert.Equal(t, "llama:v1", st.Model)
		assert.Equal(t, "1/1", st.Ready)
		assert.Equal(t, "http://chat-predictor.team-a.svc.cluster.local", st.URL)
		assert.Equal(t, chat.Generation, st.ObservedGeneration)
		assertCondition(t, st, servingv1alpha1.ConditionPredictorReady, metav1.ConditionTrue)
		assertCondition(t, st, servingv1alpha1.ConditionReady, metav1.ConditionTrue)
		require.Len(t, st.Components, 1)
		assert.Equal(t, "Deployment", st.Components[0].Kind)
		require.Len(t, st.Components[0].Children, 1)
		assert.Equal(t, servingv1alpha1.HealthHealthy, st.Components[0].Children[0].Health.State)

		pod := onlyPod(t, cl, chat)
		assert.Equal(t, "h100-0", pod.Spec.NodeName)
		assert.Equal(t, "a", pod.Labels["team"], "the service's labels reach its pods")
		server := pod.Spec.Containers[0]
		gpu := resource.MustParse("1")
		assert.True(t, gpu.Equal(server.Resources.Requests[kubecluster.GPUResource]), "requests %v", server.Resources.Requests)
		assert.True(t, gpu.Equal(server.Resources.Limits[kubecluster.GPUResource]), "limits %v", server.Resources.Limits)
		assert.Equal(t, "/health", server.ReadinessProbe.HTTPGet.Path, "vllm speaks openai")
		require.Len(t, pod.Spec.InitContainers, 1)
		assert.Equal(t, []string{"s3://team-a/llama/v1", servingoperator.ModelDir}, pod.Spec.InitContainers[0].Args)

		var svc corev1.Service
		require.NoError(t, cl.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "chat-predictor"}, &svc))
		assert.Equal(t, "chat", svc.OwnerReferences[0].Name)
		var cm corev1.ConfigMap
		require.NoError(t, cl.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "chat-runtime-config"}, &cm))
		assert.Equal(t, "vllm", cm.Data["runtime"])
	})

	t.Run("16 GPUs are InsufficientGPU with the scheduler's message", func(t *testing.T) {
		st := waitForHealth(t, cl, big, servingv1alpha1.HealthDegraded)
		assert.Equal(t, "InsufficientGPU", st.Health.Reason)
		assert.Contains(t, st.Health.Message, "Insufficient nvidia.com/gpu")
		assert.Equal(t, servingv1alpha1.TransitionBlockedByFailedLoad, st.ModelStatus.TransitionStatus)
		require.NotNil(t, st.ModelStatus.LastFailureInfo)
		assert.Equal(t, "InsufficientGPU", st.ModelStatus.LastFailureInfo.Reason)
		assert.Equal(t, "0/1", st.Ready)
		assertCondition(t, st, servingv1alpha1.ConditionReady, metav1.ConditionFalse)
		// Deleted now and checked last: the garbage collector may take half a minute to notice a new CRD.
		require.NoError(t, cl.Delete(ctx, big))
	})

	for _, s := range services[4:7] {
		want := s.Annotations[kubecluster.FaultAnnotation]
		t.Run("a pod faking "+want+" is Degraded "+want, func(t *testing.T) {
			st := waitForHealth(t, cl, s, servingv1alpha1.HealthDegraded)
			assert.Equal(t, want, st.Health.Reason, st.Health.Message)
			assert.Equal(t, servingv1alpha1.TransitionBlockedByFailedLoad, st.ModelStatus.TransitionStatus)
			assert.Equal(t, "/v2/health/ready", onlyPod(t, cl, s).Spec.Containers[0].ReadinessProbe.HTTPGet.Path,
				"the oip runtime speaks v2")
		})
	}

	t.Run("a pod not ready within its runtime's startup budget is Degraded StartupTimeout", func(t *testing.T) {
		st := waitForHealth(t, cl, slow, servingv1alpha1.HealthDegraded)
		assert.Equal(t, "StartupTimeout", st.Health.Reason, st.Health.Message)
		assert.Contains(t, st.Health.Message, "the startup budget is 3s")
		assert.Equal(t, "registry.team-a/mlserver:slow", onlyPod(t, cl, slow).Spec.Containers[0].Image,
			"the namespace's runtime serves it")
	})

	t.Run("a missing model version is InvalidSpec, with no Deployment", func(t *testing.T) {
		st := waitForHealth(t, cl, missing, servingv1alpha1.HealthDegraded)
		assert.Equal(t, "VersionNotFound", st.Health.Reason)
		assert.Equal(t, servingv1alpha1.TransitionInvalidSpec, st.ModelStatus.TransitionStatus)
		require.NotNil(t, st.ModelStatus.LastFailureInfo)
		assert.Equal(t, "VersionNotFound", st.ModelStatus.LastFailureInfo.Reason)
		assert.Contains(t, st.ModelStatus.LastFailureInfo.Message, `has no version "v9"`)
		err := cl.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "missing-predictor"}, &appsv1.Deployment{})
		assert.True(t, apierrors.IsNotFound(err), "want no Deployment, got %v", err)
	})

	t.Run("a reconcile with nothing to change applies nothing and copies the revision", func(t *testing.T) {
		before := appliesTotal(t, metricsAddr)
		assert.Positive(t, before, "the services so far were applied")
		require.NoError(t, cl.Get(ctx, client.ObjectKeyFromObject(chat), chat))
		patch := client.MergeFrom(chat.DeepCopy())
		chat.Annotations = map[string]string{servingoperator.RevisionAnnotation: "7"}
		require.NoError(t, cl.Patch(ctx, chat, patch))
		waitFor(t, "status.revision 7", func() bool {
			return cl.Get(ctx, client.ObjectKeyFromObject(chat), chat) == nil && chat.Status.Revision == 7
		})
		assert.Equal(t, before, appliesTotal(t, metricsAddr), "no object changed, so nothing may be applied")
	})

	t.Run("a promotion rolls the service that follows Production, not the other team's", func(t *testing.T) {
		deploymentB := deploymentOf(t, cl, chatB)
		model := &servingv1alpha1.Model{}
		require.NoError(t, cl.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: "llama"}, model))
		model.Spec.Versions[0].Stage = servingv1alpha1.StageArchived
		model.Spec.Versions[1].Stage = servingv1alpha1.StageProduction
		require.NoError(t, cl.Update(ctx, model))
		waitFor(t, "team-a/chat to serve llama:v2 and be Healthy", func() bool {
			err := cl.Get(ctx, client.ObjectKeyFromObject(chat), chat)
			return err == nil && chat.Status.Model == "llama:v2" && chat.Status.Health.State == servingv1alpha1.HealthHealthy
		})
		d := deploymentOf(t, cl, chat)
		assert.Equal(t, []string{"s3://team-a/llama/v2", servingoperator.ModelDir}, d.Spec.Template.Spec.InitContainers[0].Args)

		st := waitForHealth(t, cl, chatB, servingv1alpha1.HealthHealthy)
		assert.Equal(t, "llama:v1", st.Model, "team-b's Model did not change")
		after := deploymentOf(t, cl, chatB)
		assert.Equal(t, deploymentB.Generation, after.Generation, "team-b's Deployment is untouched")
		assert.Equal(t, []string{"s3://team-b/llama/v1", servingoperator.ModelDir}, after.Spec.Template.Spec.InitContainers[0].Args)
	})

	t.Run("a Deployment changed by hand is put back", func(t *testing.T) {
		d := deploymentOf(t, cl, chat)
		d.Spec.Replicas = ptr(int32(3))
		require.NoError(t, cl.Update(ctx, d))
		waitFor(t, "the Deployment's replicas to be 1 again", func() bool {
			return *deploymentOf(t, cl, chat).Spec.Replicas == 1
		})
	})

	t.Run("a new runtime in one namespace rolls that namespace's services only", func(t *testing.T) {
		patched := slowRuntime("team-b")
		patched.Name, patched.Spec.Image = "vllm", "registry.team-b/vllm:patched"
		patched.Spec.GPU = true
		patched.Spec.SupportedModelFormats = []servingv1alpha1.SupportedModelFormat{{Name: servingv1alpha1.FormatSafetensors}}
		require.NoError(t, cl.Create(ctx, patched))
		waitFor(t, "team-b/chat to run the namespace's vllm", func() bool {
			return deploymentOf(t, cl, chatB).Spec.Template.Spec.Containers[0].Image == patched.Spec.Image
		})
		assert.Equal(t, "docker.io/vllm/vllm-openai:v0.10.1", deploymentOf(t, cl, chat).Spec.Template.Spec.Containers[0].Image,
			"team-a keeps the built-in vllm")
	})

	t.Run("deleting a service deletes what it owns", func(t *testing.T) {
		for _, obj := range []client.Object{&appsv1.Deployment{}, &corev1.Service{}, &corev1.ConfigMap{}} {
			name := "big-predictor"
			if _, ok := obj.(*corev1.ConfigMap); ok {
				name = "big-runtime-config"
			}
			waitFor(t, fmt.Sprintf("%T %s to be deleted", obj, name), func() bool {
				return apierrors.IsNotFound(cl.Get(ctx, client.ObjectKey{Namespace: "team-a", Name: name}, obj))
			})
		}
	})
}

// slowRuntime is an oip-like runtime of a namespace whose replicas must be ready within 3 seconds.
func slowRuntime(namespace string) *servingv1alpha1.ServingRuntime {
	return &servingv1alpha1.ServingRuntime{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "slow"},
		Spec: servingv1alpha1.ServingRuntimeSpec{Image: "registry." + namespace + "/mlserver:slow",
			Protocol: servingv1alpha1.ProtocolV2, StartupBudgetSeconds: ptr(int32(3)),
			SupportedModelFormats: []servingv1alpha1.SupportedModelFormat{{Name: servingv1alpha1.FormatSKLearn}}}}
}

func ptr[T any](v T) *T { return &v }

// installCRDs creates the serving CRDs and waits until they are established.
func installCRDs(t *testing.T, cfg *rest.Config) {
	t.Helper()
	crds, err := servingconfig.CRDs()
	require.NoError(t, err)
	cs, err := apiextensionsclient.NewForConfig(cfg)
	require.NoError(t, err)
	for _, crd := range crds {
		_, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(t.Context(), crd, metav1.CreateOptions{})
		require.NoError(t, err)
		waitFor(t, "CRD "+crd.Name+" to be established", func() bool {
			got, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(t.Context(), crd.Name, metav1.GetOptions{})
			if err != nil {
				return false
			}
			for _, c := range got.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true
				}
			}
			return false
		})
	}
}

// startOperator applies the operator's manifests but its Deployment, and runs the operator in this process with a
// token of the manifests' ServiceAccount. It returns the address of the operator's /metrics.
func startOperator(t *testing.T, admin *rest.Config, cl client.Client) string {
	t.Helper()
	objects, err := operatormanifests.Objects()
	require.NoError(t, err)
	var sa client.Object
	for _, o := range objects {
		if o.GetKind() == "Deployment" {
			// The operator runs in this process, not in a (fake) pod; the API server still validates the manifest.
			require.NoError(t, cl.Create(t.Context(), o, client.DryRunAll), "the operator's Deployment")
			continue
		}
		require.NoError(t, cl.Create(t.Context(), o), "%s %s", o.GetKind(), o.GetName())
		if o.GetKind() == "ServiceAccount" {
			sa = o
		}
	}
	require.NotNil(t, sa)
	cs, err := kubernetes.NewForConfig(admin)
	require.NoError(t, err)
	var token *authenticationv1.TokenRequest
	waitFor(t, "a token of the operator's ServiceAccount", func() bool {
		token, err = cs.CoreV1().ServiceAccounts(sa.GetNamespace()).CreateToken(t.Context(), sa.GetName(),
			&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{}}, metav1.CreateOptions{})
		return err == nil
	})
	cfg := rest.AnonymousClientConfig(admin)
	cfg.BearerToken = token.Status.Token

	ctrl.SetLogger(klog.NewKlogr())
	addr := freeAddress(t)
	mgr, err := servingoperator.New(cfg, servingoperator.Options{MetricsBindAddress: addr, HealthProbeBindAddress: "0",
		StorageInitializerImage: "registry.test/storage-initializer:1"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		assert.NoError(t, <-done, "the operator stops cleanly")
	})
	return addr
}

// llama is a Model with v1 in Production and v2 in Staging, its files under prefix.
func llama(namespace, prefix string) *servingv1alpha1.Model {
	return &servingv1alpha1.Model{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "llama"},
		Spec: servingv1alpha1.ModelSpec{Format: servingv1alpha1.FormatSafetensors, Versions: []servingv1alpha1.ModelVersion{
			{Name: "v1", StorageURI: prefix + "/v1", Stage: servingv1alpha1.StageProduction},
			{Name: "v2", StorageURI: prefix + "/v2", Stage: servingv1alpha1.StageStaging},
		}}}
}

// llmService follows llama's Production version on vLLM with gpus GPUs (none when 0).
func llmService(namespace, name string, gpus int64) *servingv1alpha1.InferenceService {
	isvc := &servingv1alpha1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: servingv1alpha1.InferenceServiceSpec{Predictor: servingv1alpha1.PredictorSpec{
			Model: servingv1alpha1.PredictorModel{Runtime: "vllm",
				ModelRef: &servingv1alpha1.ModelReference{Name: "llama", Stage: servingv1alpha1.FollowProduction}}}}}
	if gpus > 0 {
		isvc.Spec.Predictor.Model.Resources.Limits = corev1.ResourceList{
			kubecluster.GPUResource: *resource.NewQuantity(gpus, resource.DecimalSI)}
	}
	return isvc
}

// sklearnService serves a scikit-learn model by storageUri on the built-in oip runtime.
func sklearnService(namespace, name string) *servingv1alpha1.InferenceService {
	uri := "s3://models/iris"
	return &servingv1alpha1.InferenceService{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: servingv1alpha1.InferenceServiceSpec{Predictor: servingv1alpha1.PredictorSpec{
			Model: servingv1alpha1.PredictorModel{StorageURI: &uri,
				ModelFormat: &servingv1alpha1.ModelFormat{Name: servingv1alpha1.FormatSKLearn}}}}}
}

// waitForHealth waits until the service's health is state and returns its status.
func waitForHealth(t *testing.T, cl client.Client, isvc *servingv1alpha1.InferenceService, state servingv1alpha1.HealthState) servingv1alpha1.InferenceServiceStatus {
	t.Helper()
	got := &servingv1alpha1.InferenceService{}
	waitFor(t, fmt.Sprintf("%s/%s to be %s", isvc.Namespace, isvc.Name, state), func() bool {
		err := cl.Get(t.Context(), client.ObjectKeyFromObject(isvc), got)
		return err == nil && got.Status.Health.State == state
	})
	return got.Status
}

// onlyPod returns the service's one pod.
func onlyPod(t *testing.T, cl client.Client, isvc *servingv1alpha1.InferenceService) corev1.Pod {
	t.Helper()
	var pods corev1.PodList
	require.NoError(t, cl.List(t.Context(), &pods, client.InNamespace(isvc.Namespace),
		client.MatchingLabels{servingoperator.ServiceLabel: isvc.Name}))
	require.Len(t, pods.Items, 1)
	return pods.Items[0]
}

// deploymentOf returns the service's Deployment.
func deploymentOf(t *testing.T, cl client.Client, isvc *servingv1alpha1.InferenceService) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	require.NoError(t, cl.Get(t.Context(), client.ObjectKey{Namespace: isvc.Namespace, Name: isvc.Name + "-predictor"}, d))
	return d
}

func assertCondition(t *testing.T, st servingv1alpha1.InferenceServiceStatus, condType string, want metav1.ConditionStatus) {
	t.Helper()
	for _, c := range st.Conditions {
		if c.Type == condType {
			assert.Equal(t, want, c.Status, "%s: %s", c.Reason, c.Message)
			return
		}
	}
	t.Errorf("no condition %s in %v", condType, st.Conditions)
}

var appliesLine = regexp.MustCompile(`(?m)^gantry_serving_applies_total\{kind="[A-Za-z]+"\} (\d+)$`)

// appliesTotal scrapes the operator's /metrics for the number of applies it sent, of every kind.
func appliesTotal(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	matches := appliesLine.FindAllStringSubmatch(string(body), -1)
	require.NotEmpty(t, matches, "no gantry_serving_applies_total in /metrics")
	total := 0
	for _, m := range matches {
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		total += n
	}
	return total
}

// freeAddress returns a local address nothing listens on.
func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// waitFor polls cond until it holds, failing the test after three minutes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 3*time.Minute, true,
		func(context.Context) (bool, error) { return cond(), nil })
	require.NoError(t, err, "waiting for %s", what)
}
