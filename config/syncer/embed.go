// Package syncer holds the kustomize base that runs gantry-syncer in a downstream cluster, embedded so that
// `kubectl gantry sync` renders the very same files.
package syncer

import "embed"

// Files are the base's files, kustomization.yaml included.
//
//go:embed *.yaml
var Files embed.FS
