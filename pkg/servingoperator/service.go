package servingoperator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

// servicePort is the port the predictor's Service answers on.
const servicePort = 80

// service is the predictor's Service: port 80 to the server's http port.
func (d *desired) service() *corev1ac.ServiceApplyConfiguration {
	return corev1ac.Service(predictorName(d.isvc.Name), d.isvc.Namespace).
		WithLabels(objectLabels(d.isvc)).
		WithOwnerReferences(ownerReference(d.isvc)).
		WithSpec(corev1ac.ServiceSpec().
			WithSelector(map[string]string{ServiceLabel: serviceLabelValue(d.isvc.Name)}).
			WithPorts(corev1ac.ServicePort().WithName(httpPortName).WithPort(servicePort).
				WithProtocol(corev1.ProtocolTCP).WithTargetPort(intstr.FromString(httpPortName))))
}

// serviceURL is the cluster URL of the predictor's Service.
func serviceURL(isvcName, namespace, clusterDomain string) string {
	return fmt.Sprintf("http://%s.%s.svc.%s", predictorName(isvcName), namespace, clusterDomain)
}

// runtimeConfig is the ConfigMap data the server finds in ConfigDir: what it serves and how.
func (d *desired) runtimeConfig() map[string]string {
	m, rt := d.resolution.Model, d.resolution.Runtime
	return map[string]string{
		"runtime":      rt.Name,
		"protocol":     string(rt.Spec.Protocol),
		"port":         strconv.Itoa(int(runtimePort(rt))),
		"modelName":    m.Name,
		"modelVersion": m.Version,
		"modelFormat":  string(m.Format),
		"storageUri":   m.StorageURI,
		"modelDir":     ModelDir,
	}
}

// configMap is the runtime ConfigMap.
func (d *desired) configMap(data map[string]string) *corev1ac.ConfigMapApplyConfiguration {
	return corev1ac.ConfigMap(configMapName(d.isvc.Name), d.isvc.Namespace).
		WithLabels(objectLabels(d.isvc)).
		WithOwnerReferences(ownerReference(d.isvc)).
		WithData(data)
}

// hashData is a short, stable hash of a ConfigMap's data.
func hashData(data map[string]string) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%q\n", k, data[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
