// Package workspacemetrics serves each workspace's own figures (its request count and the objects it stores) at
// /clusters/<path>/metrics, to whoever may get the non-resource URL /metrics in that workspace (its cluster-admin,
// the creator). The server's /metrics carries no label naming a workspace, so that its series count does not grow
// with the number of workspaces (issue 12); these figures are the per-workspace ones operators need instead.
package workspacemetrics
