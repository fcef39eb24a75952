package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// lbService is a LoadBalancer Service named llm whose one port is port: a same-named Service the teams tell apart.
func lbService(port string) string {
	return "apiVersion: v1\nkind: Service\nmetadata: {name: llm, namespace: default}\nspec:\n  type: LoadBalancer\n" +
		"  selector: {app: llm}\n  ports:\n  - {name: http, port: " + port + ", targetPort: 8000}\n"
}

// downService returns a downstream Service, or nil when it does not exist or cannot be read (conditions that
// eventually polls must not fail the test from its goroutine).
func (f *computeFlow) downService(t *testing.T, namespace, name string) *corev1.Service {
	svc, err := f.downCS.CoreV1().Services(namespace).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		if !apierrors.IsNotFound(err) {
			t.Logf("reading downstream Service %s/%s: %v", namespace, name, err)
		}
		return nil
	}
	return svc
}

// testComputeFlowServices: Services, a core-group resource bound from the compute workspace's export, reach the
// cluster through the syncer's virtual workspace like Deployments. Two teams' same-named Services land in their own
// downstream namespaces; a status the cluster writes reaches its team alone; the view serves only placed Services
// and only to gpu's syncer; an upstream delete removes the downstream copy, then the finalizer.
func testComputeFlowServices(t *testing.T, f *computeFlow) {
	teamB, teamBNS := f.addTeam(t, "team-b", true)
	unplaced, _ := f.addTeam(t, "team-c", false)
	require.NotEqual(t, f.teamNS, teamBNS)
	f.team.WithStdin(lbService("80")).MustRun(t, "apply", "-f", "-")
	teamB.WithStdin(lbService("8080")).MustRun(t, "apply", "-f", "-")
	unplaced.WithStdin(lbService("9090")).MustRun(t, "apply", "-f", "-")

	port := func(namespace string) int32 {
		svc := f.downService(t, namespace, "llm")
		if svc == nil || len(svc.Spec.Ports) != 1 {
			return -1
		}
		return svc.Spec.Ports[0].Port
	}
	eventually(t, "team-a's Service downstream, port 80", func() bool { return port(f.teamNS) == 80 })
	eventually(t, "team-b's Service downstream, in its own namespace, port 8080", func() bool { return port(teamBNS) == 8080 })
	if svc := f.downService(t, teamBNS, "llm"); assert.NotNil(t, svc) {
		assert.Equal(t, corev1.ServiceTypeLoadBalancer, svc.Spec.Type)
	}

	t.Run("the cluster's status reaches its team alone", func(t *testing.T) {
		// The test plays the cluster's load-balancer controller, which the test cluster lacks: it writes the
		// downstream status, as a cloud provider would.
		_, err := f.downCS.CoreV1().Services(f.teamNS).Patch(context.Background(), "llm", types.MergePatchType,
			[]byte(`{"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}}`), metav1.PatchOptions{}, "status")
		require.NoError(t, err)
		ingress := `jsonpath={.status.loadBalancer.ingress[*].ip}`
		eventually(t, "team-a sees its load balancer's address", func() bool {
			return f.team.MustRun(t, "get", "svc", "llm", "-n", "default", "-o", ingress) == "192.0.2.10"
		})
		assert.Empty(t, teamB.MustRun(t, "get", "svc", "llm", "-n", "default", "-o", ingress), "team-b's Service has no load balancer")
	})

	t.Run("the syncer's view serves the placed Services under /api, to gpu's syncer alone", func(t *testing.T) {
		syncerKubectl := f.s.KubectlAs(t, f.computePath, f.syncerToken)
		view := "/services/syncer/" + f.computePath + "/gpu/clusters/"
		assert.Contains(t, syncerKubectl.MustRun(t, "get", "--raw", view+"*/api/v1"), `"name":"services"`)
		var list corev1.ServiceList
		require.NoError(t, json.Unmarshal([]byte(syncerKubectl.MustRun(t, "get", "--raw", view+"*/api/v1/services")), &list))
		ports := map[int32]string{}
		for _, svc := range list.Items {
			ports[svc.Spec.Ports[0].Port] = svc.Annotations[logicalcluster.AnnotationKey]
		}
		assert.Len(t, ports, 2, "team-a's and team-b's Services, not team-c's, which is placed nowhere: %v", ports)
		assert.NotContains(t, ports, int32(9090), "team-c's Service is placed nowhere")

		_, errOut, err := syncerKubectl.Run("get", "--raw", view+"root:team-c/api/v1/namespaces/default/services/llm")
		require.Error(t, err)
		assert.Contains(t, errOut, "NotFound", "an unplaced Service is not found by name either")
		_, errOut, err = syncerKubectl.Run("get", "--raw", "/services/syncer/"+f.computePath+"/cpu/clusters/*/api/v1/services")
		require.Error(t, err)
		assert.Contains(t, errOut, "it needs the verb", "another target's view is refused")
		_, errOut, err = syncerKubectl.Run("delete", "--raw", view+"root:team-b/api/v1/namespaces/default/services/llm")
		require.Error(t, err)
		assert.Contains(t, errOut, "Forbidden", "the syncer never deletes an upstream Service")
	})

	t.Run("an upstream delete removes the downstream copy, then the finalizer", func(t *testing.T) {
		teamB.MustRun(t, "delete", "svc", "llm", "-n", "default", "--wait=false")
		eventually(t, "team-b's Service removed downstream", func() bool { return f.downService(t, teamBNS, "llm") == nil })
		eventually(t, "and upstream, its finalizer released", func() bool {
			out, _, _ := teamB.Run("get", "svc", "llm", "-n", "default", "--ignore-not-found", "-o", "name")
			return strings.TrimSpace(out) == ""
		})
		assert.Equal(t, int32(80), port(f.teamNS), "team-a's same-named Service stays")
	})
}
