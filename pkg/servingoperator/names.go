package servingoperator

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Labels and annotations the operator sets.
const (
	// ServiceLabel is on every object the operator makes, the Deployment's pods included; its value is the
	// InferenceService's name (shortened to a label value, see shortName). The operator's caches select by it.
	ServiceLabel = "serving.gantry.dev/inferenceservice"
	// RevisionAnnotation, set upstream by the history controller and copied down by the syncer, holds the number of
	// the service's current InferenceServiceRevision; the operator copies it into status.revision.
	RevisionAnnotation = "serving.gantry.dev/revision"
	// ConfigHashAnnotation on the pod template is a hash of the runtime ConfigMap, so that a change of the
	// config rolls the pods.
	ConfigHashAnnotation = "serving.gantry.dev/config-hash"
	// componentLabel and managedByLabel are the well-known labels of what the operator makes.
	componentLabel = "app.kubernetes.io/component"
	managedByLabel = "app.kubernetes.io/managed-by"
	// FieldManager is the operator's server-side apply field manager.
	FieldManager = "gantry-serving"
)

// Container, volume and path names of the predictor's pod, after KServe's storage-initializer convention.
const (
	// ServerContainer is the runtime's container.
	ServerContainer = "server"
	// StorageInitializerContainer is the init container that downloads the model into ModelDir.
	StorageInitializerContainer = "storage-initializer"
	// ModelDir is where the model's files are, in both containers.
	ModelDir = "/mnt/models"
	// ConfigDir is where the runtime ConfigMap is mounted in the server container.
	ConfigDir    = "/etc/gantry/serving"
	modelVolume  = "model-dir"
	configVolume = "runtime-config"
	httpPortName = "http"
)

// nameLimit is the longest name a Service (a DNS-1035 label) and a label value may have.
const nameLimit = 63

// shortName returns name if it fits in limit characters, else a prefix of it and a hash of the whole name, so that
// two long names stay distinct. The result is a valid label value and name part.
func shortName(name string, limit int) string {
	if len(name) <= limit {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	hash := hex.EncodeToString(sum[:])[:8]
	prefix := strings.TrimRight(name[:limit-len(hash)-1], "-.")
	return prefix + "-" + hash
}

// serviceLabelValue is the value of ServiceLabel for an InferenceService.
func serviceLabelValue(isvcName string) string { return shortName(isvcName, nameLimit) }

// predictorName is the name of an InferenceService's Deployment and Service.
func predictorName(isvcName string) string {
	const suffix = "-predictor"
	return shortName(isvcName, nameLimit-len(suffix)) + suffix
}

// configMapName is the name of an InferenceService's runtime ConfigMap.
func configMapName(isvcName string) string {
	const suffix = "-runtime-config"
	return shortName(isvcName, nameLimit-len(suffix)) + suffix
}
