// Command compare measures Gantry side by side with a vanilla kube-apiserver (`make bench-compare`, never part
// of `make test`).
//
// It starts one etcd, a kube-apiserver v1.37.2 and `gantry` on it (each its own process and key prefix, both
// serving TLS and authorizing with RBAC), and drives both with the same client-go load as a token user whom a
// RoleBinding authorizes: GET, LISTs, writes, a strategic-merge PATCH, a custom resource, watch delivery and
// throughput at 16 clients. Gantry is measured with the tested workspace among 1 and then among 1,000 others.
// The two servers take turns operation by operation, round by round, so that the machine's drift hits both. It
// prints one Markdown table: per operation p50 and p99 for each server and the ratios Gantry/vanilla.
//
// Files: servers.go starts the processes (proc_*.go: their process attributes per OS), fixtures.go creates what
// the load needs in each server, load.go is the load, table.go the statistics and the table, profile.go the
// optional CPU profiles, main.go the rounds.
package main
