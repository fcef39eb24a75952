package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gantry-dev/gantry/test/harness"
)

// namespaceDefaultsTimeout bounds every wait for the controller; generous, as the machine may be loaded.
const namespaceDefaultsTimeout = 60 * time.Second

// waitDefaults waits until namespace ns has the ServiceAccount "default" and a kube-root-ca.crt whose ca.crt is
// caPEM, and returns both.
func waitDefaults(t *testing.T, c kubernetes.Interface, ns string, caPEM []byte) (*corev1.ServiceAccount, *corev1.ConfigMap) {
	t.Helper()
	ctx := context.Background()
	var sa *corev1.ServiceAccount
	var cm *corev1.ConfigMap
	require.EventuallyWithT(t, func(c2 *assert.CollectT) {
		var err error
		sa, err = c.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		require.NoError(c2, err)
		cm, err = c.CoreV1().ConfigMaps(ns).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		require.NoError(c2, err)
		assert.Equal(c2, map[string]string{"ca.crt": string(caPEM)}, cm.Data)
	}, namespaceDefaultsTimeout, 100*time.Millisecond, "namespace %s gets its default ServiceAccount and kube-root-ca.crt", ns)
	return sa, cm
}

// TestNamespaceDefaults checks that every namespace of every workspace gets the ServiceAccount "default" and the
// ConfigMap kube-root-ca.crt, that both come back after deletion and an edited CA bundle is set right, that one
// workspace's namespaces never touch another's, and that a terminating namespace is left to go.
func TestNamespaceDefaults(t *testing.T) {
	s := harness.Start(t)
	teamA, _ := s.CreateWorkspace(t, "root", "team-a")
	teamB, _ := s.CreateWorkspace(t, "root", "team-b")
	a, _ := s.Clients(t, teamA)
	b, _ := s.Clients(t, teamB)
	kubectlA := s.Kubectl(teamA)
	config, err := s.RESTConfig(teamA)
	require.NoError(t, err)
	caPEM := config.TLSClientConfig.CAData
	require.NotEmpty(t, caPEM)
	ctx := context.Background()

	// A new workspace's default namespace has both; so does the root workspace's.
	bSA, bCM := waitDefaults(t, b, "default", caPEM)
	root, _ := s.Clients(t, "root")
	waitDefaults(t, root, "default", caPEM)

	t.Run("a new namespace gets both, and the CA bundle verifies the server", func(t *testing.T) {
		kubectlA.MustRun(t, "create", "namespace", "ml")
		_, cm := waitDefaults(t, a, "ml", caPEM)
		assert.NotEmpty(t, cm.Annotations["kubernetes.io/description"])
		require.NotEmpty(t, cm.ManagedFields)
		assert.Equal(t, "gantry-namespace-defaults", cm.ManagedFields[0].Manager, "the writer is named")

		onlyBundle := rest.CopyConfig(config)
		onlyBundle.TLSClientConfig = rest.TLSClientConfig{CAData: []byte(cm.Data["ca.crt"]),
			CertData: config.TLSClientConfig.CertData, KeyData: config.TLSClientConfig.KeyData}
		client, err := kubernetes.NewForConfig(onlyBundle)
		require.NoError(t, err)
		_, err = client.CoreV1().Namespaces().Get(ctx, "ml", metav1.GetOptions{})
		assert.NoError(t, err, "a client trusting only kube-root-ca.crt's ca.crt reaches the server")
	})

	t.Run("a deleted default ServiceAccount comes back", func(t *testing.T) {
		old, _ := waitDefaults(t, a, "ml", caPEM)
		kubectlA.MustRun(t, "delete", "serviceaccount", "default", "-n", "ml")
		require.Eventually(t, func() bool {
			sa, err := a.CoreV1().ServiceAccounts("ml").Get(ctx, "default", metav1.GetOptions{})
			return err == nil && sa.UID != old.UID
		}, namespaceDefaultsTimeout, 100*time.Millisecond, "a new default ServiceAccount")
	})

	t.Run("a deleted or edited kube-root-ca.crt is set right", func(t *testing.T) {
		_, old := waitDefaults(t, a, "ml", caPEM)
		kubectlA.MustRun(t, "delete", "configmap", "kube-root-ca.crt", "-n", "ml")
		require.Eventually(t, func() bool {
			cm, err := a.CoreV1().ConfigMaps("ml").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
			return err == nil && cm.UID != old.UID
		}, namespaceDefaultsTimeout, 100*time.Millisecond, "a new kube-root-ca.crt")
		waitDefaults(t, a, "ml", caPEM)

		kubectlA.MustRun(t, "patch", "configmap", "kube-root-ca.crt", "-n", "ml", "--type=merge",
			"-p", `{"data":{"ca.crt":"forged","extra":"x"}}`)
		waitDefaults(t, a, "ml", caPEM)
	})

	t.Run("a terminating namespace is left to go", func(t *testing.T) {
		kubectlA.MustRun(t, "create", "namespace", "held")
		waitDefaults(t, a, "held", caPEM)
		kubectlA.WithStdin("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  namespace: held\n  finalizers: [example.com/hold]\n").
			MustRun(t, "create", "-f", "-")
		kubectlA.MustRun(t, "delete", "namespace", "held", "--wait=false")
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			_, err := a.CoreV1().ServiceAccounts("held").Get(ctx, "default", metav1.GetOptions{})
			assert.True(c, apierrors.IsNotFound(err), "default ServiceAccount emptied out: %v", err)
			_, err = a.CoreV1().ConfigMaps("held").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
			assert.True(c, apierrors.IsNotFound(err), "kube-root-ca.crt emptied out: %v", err)
		}, namespaceDefaultsTimeout, 100*time.Millisecond, "the namespace controller empties the terminating namespace")
		// The controller saw those deletions before this namespace's creation; once it has served the new
		// namespace it has had its chance to recreate the deleted ones in the terminating namespace.
		kubectlA.MustRun(t, "create", "namespace", "after-held")
		waitDefaults(t, a, "after-held", caPEM)
		for _, obj := range []string{"serviceaccount/default", "configmap/kube-root-ca.crt"} {
			_, errOut, err := kubectlA.Run("get", obj, "-n", "held")
			require.Error(t, err, obj)
			assert.Contains(t, errOut, "NotFound", obj)
		}
		kubectlA.MustRun(t, "patch", "configmap", "held", "-n", "held", "--type=json", "-p", `[{"op":"remove","path":"/metadata/finalizers"}]`)
		require.Eventually(t, func() bool {
			_, err := a.CoreV1().Namespaces().Get(ctx, "held", metav1.GetOptions{})
			return apierrors.IsNotFound(err)
		}, namespaceDefaultsTimeout, 100*time.Millisecond, "the namespace goes once its content has, with nothing recreated in it")
	})

	t.Run("team-b is untouched", func(t *testing.T) {
		_, err := b.CoreV1().Namespaces().Get(ctx, "ml", metav1.GetOptions{})
		assert.True(t, apierrors.IsNotFound(err), "team-a's namespace is not team-b's: %v", err)
		sas, err := b.CoreV1().ServiceAccounts("").List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		cms, err := b.CoreV1().ConfigMaps("").List(ctx, metav1.ListOptions{})
		require.NoError(t, err)
		var names []string
		for _, sa := range sas.Items {
			names = append(names, "serviceaccount "+sa.Namespace+"/"+sa.Name)
		}
		for _, cm := range cms.Items {
			names = append(names, "configmap "+cm.Namespace+"/"+cm.Name)
		}
		assert.ElementsMatch(t, []string{"serviceaccount default/default", "configmap default/kube-root-ca.crt"}, names,
			"team-b has its own default namespace's objects only")
		sa, err := b.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, bSA.ResourceVersion, sa.ResourceVersion, "team-b's default ServiceAccount never changed")
		cm, err := b.CoreV1().ConfigMaps("default").Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		require.NoError(t, err)
		assert.Equal(t, bCM.ResourceVersion, cm.ResourceVersion, "team-b's kube-root-ca.crt never changed")
	})
}
