package buildversion

import (
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
)

// placeholder is what k8s.io/component-base/version reports when no -ldflags stamp set it.
const placeholder = "v0.0.0-master+$Format:%H$"

func TestComplete(t *testing.T) {
	revision := "0123456789abcdef0123456789abcdef01234567"
	vcs := func(modified string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/gantry-dev/gantry", Version: "(devel)"},
			Settings: []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: revision}, {Key: "vcs.modified", Value: modified}}}
	}
	module := func(version string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/gantry-dev/gantry", Version: version}}
	}
	tests := []struct {
		name              string
		info              apimachineryversion.Info
		kubernetesVersion string
		build             *debug.BuildInfo
		wantVersion       string
		wantCommit        string
		wantTreeState     string
	}{
		{name: "stamped by the Makefile is kept", info: apimachineryversion.Info{GitVersion: "v1.37.0+gantry", GitTreeState: "clean"},
			kubernetesVersion: "1.37", build: vcs("true"), wantVersion: "v1.37.0+gantry", wantTreeState: "clean"},
		{name: "clean checkout", info: apimachineryversion.Info{GitVersion: placeholder, GitCommit: "$Format:%H$"}, kubernetesVersion: "1.37",
			build: vcs("false"), wantVersion: "v1.37.0+gantry.0123456789ab", wantCommit: revision, wantTreeState: "clean"},
		{name: "modified checkout", info: apimachineryversion.Info{GitVersion: placeholder}, kubernetesVersion: "1.37",
			build: vcs("true"), wantVersion: "v1.37.0+gantry.0123456789ab.dirty", wantCommit: revision, wantTreeState: "dirty"},
		{name: "go install of a release", info: apimachineryversion.Info{GitVersion: placeholder}, kubernetesVersion: "1.37",
			build: module("v0.4.1"), wantVersion: "v1.37.0+gantry.v0.4.1"},
		{name: "go install of a pseudo-version", info: apimachineryversion.Info{GitVersion: placeholder}, kubernetesVersion: "1.37",
			build: module("v0.0.0-20261207151623-7107812abcde+incompatible"), wantVersion: "v1.37.0+gantry.v0.0.0-20261207151623-7107812abcde.incompatible"},
		{name: "devel without VCS", info: apimachineryversion.Info{GitVersion: placeholder}, kubernetesVersion: "1.37",
			build: module("(devel)"), wantVersion: "v1.37.0+gantry.dev"},
		{name: "no build information", info: apimachineryversion.Info{GitVersion: placeholder}, kubernetesVersion: "1.37",
			wantVersion: "v1.37.0+gantry.dev"},
		{name: "empty version", kubernetesVersion: "1.37", wantVersion: "v1.37.0+gantry.dev"},
		{name: "unparsable API level", info: apimachineryversion.Info{GitVersion: placeholder}, kubernetesVersion: "latest",
			wantVersion: "v0.0.0+gantry.dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Complete(tt.info, tt.kubernetesVersion, tt.build)
			assert.Equal(t, tt.wantVersion, got.GitVersion)
			assert.Equal(t, tt.wantCommit, got.GitCommit)
			assert.Equal(t, tt.wantTreeState, got.GitTreeState)
			_, err := utilversion.ParseSemantic(got.GitVersion)
			assert.NoError(t, err, "client-go's parser must accept %q", got.GitVersion)
		})
	}
}

// TestBuiltBinary builds a program into a temporary directory the way a user would, with and without the
// Makefile's -ldflags stamp, and checks that the version it derives parses as client-go parses it.
func TestBuiltBinary(t *testing.T) {
	const stamp = "-X k8s.io/component-base/version.gitVersion=v1.37.0+gantry"
	for _, tt := range []struct {
		name, ldflags, wantPrefix string
	}{
		{name: "go build", wantPrefix: "v1.37.0+gantry."},
		{name: "make build", ldflags: stamp, wantPrefix: "v1.37.0+gantry"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bin := filepath.Join(t.TempDir(), "printversion")
			args := []string{"build", "-o", bin}
			if tt.ldflags != "" {
				args = append(args, "-ldflags", tt.ldflags)
			}
			build := exec.Command("go", append(args, "./testdata/printversion")...)
			out, err := build.CombinedOutput()
			require.NoError(t, err, "%s", out)
			out, err = exec.Command(bin).Output()
			require.NoError(t, err)
			got := string(out)
			assert.True(t, strings.HasPrefix(got, tt.wantPrefix), "%q does not start with %q", got, tt.wantPrefix)
			assert.NotContains(t, got, "$Format")
			_, err = utilversion.ParseSemantic(got)
			assert.NoError(t, err, "client-go's parser must accept %q", got)
			if tt.ldflags != "" {
				assert.Equal(t, "v1.37.0+gantry", got, "a stamped version is served as stamped")
			}
		})
	}
}
