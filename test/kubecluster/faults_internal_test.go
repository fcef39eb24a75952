package kubecluster

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// stageHead is the part of a kwok Stage this test reads.
type stageHead struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		ResourceRef struct {
			Kind string `json:"kind"`
		} `json:"resourceRef"`
		Selector struct {
			MatchAnnotations map[string]string `json:"matchAnnotations"`
		} `json:"selector"`
		Weight int `json:"weight"`
	} `json:"spec"`
}

// TestFaultStagesFile checks, without a cluster, that the file Start hands to kwok holds one pod Stage per fault,
// each selecting its annotation value and weighing more than the cache's weight-0 pod-ready stage.
func TestFaultStagesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), faultStagesFile)
	require.NoError(t, writeFaultStages(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)

	byFault := map[string]string{}
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		doc = bytes.TrimPrefix(doc, []byte("---\n"))
		var s stageHead
		require.NoError(t, yaml.Unmarshal(doc, &s))
		assert.Equal(t, "kwok.x-k8s.io/v1alpha1", s.APIVersion)
		assert.Equal(t, "Stage", s.Kind)
		assert.Equal(t, "Pod", s.Spec.ResourceRef.Kind, s.Metadata.Name)
		assert.Positive(t, s.Spec.Weight, "%s must outweigh the cache's pod-ready stage", s.Metadata.Name)
		fault := s.Spec.Selector.MatchAnnotations[FaultAnnotation]
		require.NotEmpty(t, fault, "%s selects no fault", s.Metadata.Name)
		byFault[fault] = s.Metadata.Name
	}
	assert.Equal(t, map[string]string{
		FaultCrashLoopBackOff: "gantry-fault-crashloopbackoff",
		FaultOOMKilled:        "gantry-fault-oomkilled",
		FaultImagePullBackOff: "gantry-fault-imagepullbackoff",
		FaultNotReady:         "gantry-fault-notready",
	}, byFault)
}
