// Command gantry is the Gantry control plane: one Kubernetes-compatible API server hosting many workspaces.
//
// `gantry start` parses the server's flags and runs it until it is interrupted; with no flags it starts embedded
// etcd and writes its certificates and admin.kubeconfig under ./.gantry/. This command owns only the command
// line: assembling and running the server is pkg/server's, and the kubectl plugins are separate commands
// (cmd/kubectl-ws, cmd/kubectl-gantry, cmd/kubectl-create-workspace).
package main
