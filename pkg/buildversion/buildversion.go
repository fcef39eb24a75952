// Package buildversion makes the version a Gantry binary reports a valid semantic version however it was built.
//
// The Makefile stamps k8s.io/component-base/version with -ldflags. A plain `go build` or `go install` does not,
// and component-base then reports its placeholder "v0.0.0-master+$Format:%H$", which client-go's and kubectl's
// version parsers reject. In that case the version is derived from what the Go toolchain records in every binary
// (runtime/debug.ReadBuildInfo): the module version, or the VCS revision and whether the tree was modified.
package buildversion

import (
	"runtime/debug"
	"strings"

	utilversion "k8s.io/apimachinery/pkg/util/version"
	apimachineryversion "k8s.io/apimachinery/pkg/version"
	componentversion "k8s.io/component-base/version"
)

// buildTag is the first build-metadata identifier of a derived version: it says the binary is Gantry's.
const buildTag = "gantry"

// Get returns component-base's version information with a valid semantic GitVersion, derived from the binary's
// build information when no -ldflags stamp made it valid. kubernetesVersion ("1.37") is the Kubernetes API level
// the binary serves: a derived version is "v<kubernetesVersion>.0+gantry.<build>", so that kubectl's version-skew
// check compares with the API level.
func Get(kubernetesVersion string) apimachineryversion.Info {
	build, _ := debug.ReadBuildInfo()
	return Complete(componentversion.Get(), kubernetesVersion, build)
}

// Complete returns info with a valid semantic GitVersion: info itself when its GitVersion parses, otherwise one
// derived from build (nil when the binary has no build information), with GitCommit and GitTreeState from the
// VCS stamp when there is one.
func Complete(info apimachineryversion.Info, kubernetesVersion string, build *debug.BuildInfo) apimachineryversion.Info {
	if _, err := utilversion.ParseSemantic(info.GitVersion); err == nil {
		return info
	}
	core := "v0.0.0"
	if v, err := utilversion.ParseGeneric(kubernetesVersion); err == nil {
		core = "v" + utilversion.MajorMinor(v.Major(), v.Minor()).String() + ".0"
	}
	metadata := []string{buildTag}
	info.GitCommit, info.GitTreeState = "", ""
	if build != nil {
		settings := map[string]string{}
		for _, s := range build.Settings {
			settings[s.Key] = s.Value
		}
		switch revision := settings["vcs.revision"]; {
		case revision != "":
			info.GitCommit, info.GitTreeState = revision, "clean"
			metadata = append(metadata, identifiers(shortRevision(revision))...)
			if settings["vcs.modified"] == "true" {
				info.GitTreeState = "dirty"
				metadata = append(metadata, "dirty")
			}
		case build.Main.Version != "" && build.Main.Version != "(devel)":
			metadata = append(metadata, identifiers(build.Main.Version)...)
		default:
			metadata = append(metadata, "dev")
		}
	} else {
		metadata = append(metadata, "dev")
	}
	info.GitVersion = core + "+" + strings.Join(metadata, ".")
	return info
}

// shortRevision is the first twelve characters of a VCS revision, as git's abbreviated hashes.
func shortRevision(revision string) string {
	if len(revision) > 12 {
		return revision[:12]
	}
	return revision
}

// identifiers splits s into semantic-version build identifiers: only ASCII letters, digits and hyphens, none
// empty. Other characters ("+" of "+incompatible", "(" of "(devel)") separate identifiers.
func identifiers(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
	})
}
