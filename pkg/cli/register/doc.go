// Package register is `kubectl gantry sync NAME`: it registers a downstream cluster in the current (compute)
// workspace — a SyncTarget, a ServiceAccount whose only right is the verb sync on that target, and a token of it —
// and renders the manifests from config/syncer that run gantry-syncer in the downstream cluster with that token.
package register
