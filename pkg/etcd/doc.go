// Package etcd runs the embedded etcd that stores a Gantry server's data when no external etcd is given: on
// free loopback ports, with its data in the directory it is given (under the server's --data-dir).
//
// It does not lay out keys (pkg/clusterstore) or talk to an external etcd (pkg/server connects to whichever is
// used).
package etcd
