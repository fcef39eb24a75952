package wsnav

import (
	"fmt"
	"strings"

	"github.com/gantry-dev/gantry/pkg/logicalcluster"
)

// Resolve turns what a user typed after `kubectl ws` into a workspace path: ":root:a" is absolute, ".." is the
// parent, "root" or "root:…" is absolute, anything else is relative to current ("a:b" is current:a:b).
func Resolve(current logicalcluster.Path, arg string) (logicalcluster.Path, error) {
	switch {
	case arg == "..":
		parent, ok := current.Parent()
		if !ok {
			return "", fmt.Errorf("workspace %q has no parent", current)
		}
		return parent, nil
	case strings.HasPrefix(arg, ":"):
		return logicalcluster.ParsePath(arg[1:])
	case arg == string(logicalcluster.RootPath) || strings.HasPrefix(arg, string(logicalcluster.RootPath)+":"):
		return logicalcluster.ParsePath(arg)
	}
	target := string(current)
	for _, seg := range strings.Split(arg, ":") {
		if seg == ".." {
			parent, ok := logicalcluster.Path(target).Parent()
			if !ok {
				return "", fmt.Errorf("%q goes above the root workspace", arg)
			}
			target = string(parent)
			continue
		}
		target += ":" + seg
	}
	return logicalcluster.ParsePath(target)
}
