package server

import (
	"fmt"
	"net/http"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/healthz"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	storagefactory "k8s.io/apiserver/pkg/storage/storagebackend/factory"
)

// addEtcdChecks adds the etcd probes kube-apiserver has, from the same upstream factory: "etcd" in /healthz and
// /livez (and /readyz), and "etcd-readiness" in /readyz. Both ask etcd itself, within the storage config's
// timeouts, so that a probe fails while etcd is unreachable; they stop probing once the server has drained.
func addEtcdChecks(config *genericapiserver.Config, storage storagebackend.Config) error {
	healthCheck, err := storagefactory.CreateHealthCheck(storage, config.DrainedNotify())
	if err != nil {
		return fmt.Errorf("etcd health check: %w", err)
	}
	readyCheck, err := storagefactory.CreateReadyCheck(storage, config.DrainedNotify())
	if err != nil {
		return fmt.Errorf("etcd readiness check: %w", err)
	}
	config.AddHealthChecks(healthz.NamedCheck("etcd", func(*http.Request) error { return healthCheck() }))
	config.AddReadyzChecks(healthz.NamedCheck("etcd-readiness", func(*http.Request) error { return readyCheck() }))
	return nil
}
