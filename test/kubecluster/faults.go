package kubecluster

import (
	"bytes"
	"embed"
	"io/fs"
	"os"
	"path/filepath"
)

// FaultAnnotation is the pod annotation that makes kwok fake a failure instead of a ready pod. Its value is one of
// the Fault constants; a pod without it becomes Running and Ready as usual. Set it in a Deployment's pod template.
const FaultAnnotation = "gantry.dev/fake-fault"

// Values of FaultAnnotation. The stages in test/kubecluster/stages implement them.
const (
	// FaultCrashLoopBackOff: Running, every container waiting in CrashLoopBackOff with three restarts and a last
	// termination with exit code 1; a Warning BackOff event.
	FaultCrashLoopBackOff = "CrashLoopBackOff"
	// FaultOOMKilled: Running, every container running again but not ready, its last termination OOMKilled with
	// exit code 137.
	FaultOOMKilled = "OOMKilled"
	// FaultImagePullBackOff: Pending, every container waiting in ImagePullBackOff; a Warning Failed event.
	FaultImagePullBackOff = "ImagePullBackOff"
	// FaultNotReady: Running, every container running and never ready; a Warning Unhealthy event.
	FaultNotReady = "NotReady"
)

// faultStages are kwok Stage objects of our own, passed to kwok next to the cache's stages on every start, so that
// editing them needs no rebuild of the cache: the next test build embeds the new files.
//
//go:embed stages/*.yaml
var faultStages embed.FS

// faultStagesFile is the name, in the cluster's directory, of the file Start writes the fault stages into.
const faultStagesFile = "kwok-fault-stages.yaml"

// writeFaultStages joins the embedded stage files into one multi-document file at path.
func writeFaultStages(path string) error {
	names, err := fs.Glob(faultStages, "stages/*.yaml")
	if err != nil {
		return err
	}
	var all bytes.Buffer
	for _, name := range names {
		y, err := faultStages.ReadFile(name)
		if err != nil {
			return err
		}
		all.WriteString("---\n")
		all.Write(y)
	}
	return os.WriteFile(path, all.Bytes(), 0o644)
}

// faultStagesPath is where Start writes the fault stages for this cluster.
func (c *Cluster) faultStagesPath() string { return filepath.Join(c.dir, faultStagesFile) }
