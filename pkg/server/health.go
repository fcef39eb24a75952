package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

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

// namedSync is one index or controller whose first full list readiness waits for.
type namedSync struct {
	name   string
	synced func() bool
}

// syncedChecks are the /readyz checks of the indexes: one per index, and "informer-sync", the check by which
// kube-apiserver says that all its informers have synced; here it names the indexes that have not, so that one
// probe covers them all.
func syncedChecks(synced []namedSync) []healthz.HealthChecker {
	checks := make([]healthz.HealthChecker, 0, len(synced)+1)
	for _, s := range synced {
		checks = append(checks, healthz.NamedCheck(s.name, func(*http.Request) error {
			if !s.synced() {
				return fmt.Errorf("%s not synced", s.name)
			}
			return nil
		}))
	}
	checks = append(checks, healthz.NamedCheck("informer-sync", func(*http.Request) error {
		var waiting []string
		for _, s := range synced {
			if !s.synced() {
				waiting = append(waiting, s.name)
			}
		}
		if len(waiting) > 0 {
			return fmt.Errorf("not synced yet: %s", strings.Join(waiting, ", "))
		}
		return nil
	}))
	return checks
}

// addCRDsSyncedHook adds the post-start hook "crd-informer-synced" under kube-apiextensions-apiserver's name and
// meaning: it finishes once every custom resource definition is known, here the workspaces' own CRDs and the
// schemas their APIBindings bind, so that a probe can tell "serving, but custom resources may still 404".
func addCRDsSyncedHook(server *genericapiserver.GenericAPIServer, synced ...func() bool) error {
	return server.AddPostStartHook("crd-informer-synced", func(hook genericapiserver.PostStartHookContext) error {
		return wait.PollUntilContextCancel(hook, 100*time.Millisecond, true, func(context.Context) (bool, error) {
			for _, s := range synced {
				if !s() {
					return false, nil
				}
			}
			return true, nil
		})
	})
}
