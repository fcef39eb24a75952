// Package wsnav owns workspace navigation, the `kubectl ws` plugin: which workspace the kubeconfig points at,
// moving it elsewhere (`ws <path>`, `ws ..`, `ws -`) by rewriting the server URL of the context in use, as `cd`
// changes a directory, and listing the workspaces below it (`ws tree`). Kubectl's flags (--server, --token, ...)
// override the kubeconfig for one invocation; a move is written to the kubeconfig.
package wsnav
